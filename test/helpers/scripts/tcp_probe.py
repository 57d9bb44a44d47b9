"""Probe the appliance's TCP with hand-made segments and report the replies.

Run inside the test's network namespace as
    /usr/bin/python3 tcp_probe.py MODE IFACE OUR_MAC OUR_IP TARGET_MAC TARGET_IP PORT [ARG]
IFACE is a port of the bridge without an address, OUR_MAC/OUR_IP a host the
appliance has in a static ARP entry (the kernel owns neither, so it
sends no resets of its own). Modes, each printing one JSON object:

    synack PORT all|mss   SYN with MSS, SACK-permitted, timestamps and window
                          scale (all) or MSS only; reports the SYN-ACK's options
    isn PORT COUNT        COUNT SYNs from different source ports; reports the ISNs
    closed PORT           SYN to a port nobody listens on; reports the answer
Every connection the probe opens is reset again before the script ends.
"""
import json
import sys
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, conf, sendp

SYN_TIMESTAMP = 123456789
REPLY_TIMEOUT_S = 3.0


def main():
    mode, iface, our_mac, our_ip, target_mac, target_ip, port = sys.argv[1:8]
    extra = sys.argv[8] if len(sys.argv) > 8 else ""
    conf.verb = 0
    probe = Probe(iface, our_mac, our_ip, target_mac, target_ip, int(port))
    if mode == "synack":
        print(json.dumps(probe.syn_ack(extra)))
    elif mode == "isn":
        print(json.dumps(probe.isns(int(extra))))
    elif mode == "closed":
        print(json.dumps(probe.closed()))
    else:
        raise SystemExit(f"unknown mode {mode}: expected synack, isn or closed")


class Probe:
    def __init__(self, iface, our_mac, our_ip, target_mac, target_ip, port):
        self.iface = iface
        self.our_ip = our_ip
        self.target_ip = target_ip
        self.port = port
        self.eth = Ether(src=our_mac, dst=target_mac)

    def exchange(self, segments):
        """Sends SYN segments and returns {source port: (reply, seconds)} for the first reply to each."""
        ports = {segment.sport for segment in segments}
        captured = []
        sniffer = AsyncSniffer(iface=self.iface, filter=f"tcp and src host {self.target_ip} and src port {self.port}", store=False, prn=captured.append)
        sniffer.start()
        time.sleep(0.3)
        started = {}
        for segment in segments:
            started[segment.sport] = time.time()
            sendp(self.eth / IP(src=self.our_ip, dst=self.target_ip) / segment, iface=self.iface)
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        replies = {}
        while time.monotonic() < deadline and len(replies) < len(ports):
            time.sleep(0.05)
            for packet in list(captured):
                tcp = packet[TCP]
                if tcp.dport in ports and tcp.dport not in replies:
                    replies[tcp.dport] = (tcp, packet.time - started[tcp.dport] if packet.time > started[tcp.dport] else 0.0)
        sniffer.stop()
        return replies

    def reset(self, reply):
        """Resets the half-open connection a SYN-ACK belongs to."""
        rst = TCP(sport=reply.dport, dport=self.port, flags="R", seq=reply.ack)
        sendp(self.eth / IP(src=self.our_ip, dst=self.target_ip) / rst, iface=self.iface)

    def syn_ack(self, offer):
        if offer == "all":
            options = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (SYN_TIMESTAMP, 0)), ("NOP", None), ("WScale", 7)]
        else:
            options = [("MSS", 1400)]
        syn = TCP(sport=41000, dport=self.port, flags="S", seq=1000, window=64240, options=options)
        replies = self.exchange([syn])
        if 41000 not in replies:
            return {"reply": None}
        reply, _ = replies[41000]
        self.reset(reply)
        found = []
        for name, value in reply.options:
            if name == "NOP" or name == "EOL":
                continue
            if isinstance(value, tuple):
                value = list(value)
            elif value == b"":
                value = None
            found.append([name, value])
        return {"reply": str(reply.flags), "ack": reply.ack, "options": found}

    def isns(self, count):
        syns = [TCP(sport=42000 + i, dport=self.port, flags="S", seq=5000 + i, options=[("MSS", 1460)]) for i in range(count)]
        replies = self.exchange(syns)
        isns = []
        for syn in syns:
            if syn.sport in replies:
                reply, _ = replies[syn.sport]
                isns.append(reply.seq)
                self.reset(reply)
        return {"isns": isns}

    def closed(self):
        syn = TCP(sport=43000, dport=self.port, flags="S", seq=7000)
        replies = self.exchange([syn])
        if 43000 not in replies:
            return {"reply": None}
        reply, seconds = replies[43000]
        return {"reply": str(reply.flags), "seq": reply.seq, "ack": reply.ack, "seconds": float(seconds)}


if __name__ == "__main__":
    main()
