"""HTTP clients on the kernel's TCP stack that misbehave in the ways tests need.

Run inside the test's network namespace as
    /usr/bin/python3 http_clients.py MODE HOST PORT PATH [ARG]
Modes, each printing one JSON object:

    stall SECONDS       sends one request with a small receive buffer, reads
                        nothing for SECONDS, then reads the whole response;
                        reports its length and SHA-256
    sequential COUNT    COUNT requests, each on a new connection closed after
                        the response; reports how many succeeded and the errors
"""
import hashlib
import json
import socket
import sys
import time

TIMEOUT_S = 30
SMALL_RECEIVE_BUFFER_BYTES = 4096


def main():
    mode, host, port, path = sys.argv[1:5]
    argument = float(sys.argv[5]) if len(sys.argv) > 5 else 0
    if mode == "stall":
        print(json.dumps(stall(host, int(port), path, argument)))
    elif mode == "sequential":
        print(json.dumps(sequential(host, int(port), path, int(argument))))
    else:
        raise SystemExit(f"unknown mode {mode}: expected stall or sequential")


def request(path):
    return f"GET {path} HTTP/1.1\r\nHost: appliance\r\nConnection: close\r\n\r\n".encode()


def read_all(sock):
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def split_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode("latin1"), body


def stall(host, port, path, seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_RECEIVE_BUFFER_BYTES)
    sock.settimeout(TIMEOUT_S)
    sock.connect((host, port))
    sock.sendall(request(path))
    time.sleep(seconds)
    started = time.monotonic()
    status, body = split_response(read_all(sock))
    sock.close()
    return {"status": status, "length": len(body), "sha256": hashlib.sha256(body).hexdigest(), "readSeconds": time.monotonic() - started}


def sequential(host, port, path, count):
    succeeded = 0
    errors = {}
    started = time.monotonic()
    for _ in range(count):
        try:
            with socket.create_connection((host, port), timeout=10) as sock:
                sock.sendall(request(path))
                status, _ = split_response(read_all(sock))
            if status.startswith("HTTP/1.1 200"):
                succeeded += 1
            else:
                errors[status] = errors.get(status, 0) + 1
        except OSError as error:
            key = type(error).__name__ + ": " + str(error)
            errors[key] = errors.get(key, 0) + 1
    return {"succeeded": succeeded, "errors": errors, "seconds": time.monotonic() - started}


if __name__ == "__main__":
    main()
