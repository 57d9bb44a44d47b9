"""Send malformed frames of every class the appliance must survive.

Run inside the test's network namespace as
    /usr/bin/python3 malformed_frames.py IFACE OUR_MAC OUR_IP TARGET_MAC TARGET_IP
where IFACE is a port of the bridge without an address, OUR_MAC/OUR_IP a
host the appliance has in a static ARP entry, and TARGET_* the
appliance. Each class is sent REPEAT times; the script prints one JSON
object naming the classes it sent, so that the test can look for the
reason each one was dropped for in the appliance's debug log.
"""
import json
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPOption, IPv6, Raw, conf, sendp
from scapy.layers.inet import IPOption_LSRR

REPEAT = 3


def main():
    iface, our_mac, our_ip, target_mac, target_ip = sys.argv[1:6]
    conf.verb = 0
    eth = Ether(src=our_mac, dst=target_mac)
    ip = IP(src=our_ip, dst=target_ip)
    echo = ICMP(type=8, id=1, seq=1) / Raw(b"malformed")
    syn = TCP(sport=40001, dport=80, flags="S", seq=1000)

    frames = {}

    def add(name, frame):
        frames[name] = frame if isinstance(frame, (bytes, bytearray)) else bytes(frame)

    def patched(frame, offset, data):
        """Overwrites bytes of a built frame, leaving every checksum as it was."""
        raw = bytearray(bytes(frame))
        raw[offset:offset + len(data)] = data
        return bytes(raw)

    # Ethernet: unknown EtherType, VLAN tag, IPv6, too short for an IPv4 header.
    add("unknown-ethertype", patched(eth / Raw(b"\0" * 46), 12, b"\x88\xb5"))
    add("vlan", eth / Dot1Q(vlan=5) / ip / echo)
    add("ipv6", eth / IPv6(src="fe80::99", dst="fe80::2") / Raw(b"x" * 8))
    add("ipv4-short", patched(eth / Raw(b"\x45\0\0"), 12, b"\x08\x00"))

    # IPv4 header: lengths, checksum, version, reserved flag, options.
    add("ip-total-length-long", eth / IP(src=our_ip, dst=target_ip, len=1400) / echo)
    add("ip-total-length-short", eth / IP(src=our_ip, dst=target_ip, len=12) / echo)
    add("ip-header-length-short", eth / IP(src=our_ip, dst=target_ip, ihl=3) / echo)
    add("ip-header-length-long", eth / IP(src=our_ip, dst=target_ip, ihl=15) / echo)
    add("ip-checksum", eth / IP(src=our_ip, dst=target_ip, chksum=0x1234) / echo)
    add("ip-version", eth / IP(src=our_ip, dst=target_ip, version=5) / echo)
    add("ip-reserved-flag", eth / IP(src=our_ip, dst=target_ip, flags="evil") / echo)
    add("ip-option-length-zero", with_ip_options(eth / IP(src=our_ip, dst=target_ip, options=[IPOption(b"\x01\x01\x01\x00")]) / echo, b"\x07\x00\x00\x00"))
    add("ip-option-past-header", with_ip_options(eth / IP(src=our_ip, dst=target_ip, options=[IPOption(b"\x01\x01\x01\x00")]) / echo, b"\x07\x28\x04\x00"))
    add("ip-source-route", eth / IP(src=our_ip, dst=target_ip, options=[IPOption_LSRR(routers=["192.168.122.1"])]) / echo)
    add("ip-source-loopback", eth / IP(src="127.0.0.1", dst=target_ip) / echo)
    add("ip-source-zero", eth / IP(src="0.0.0.0", dst=target_ip) / echo)
    add("ip-source-broadcast", eth / IP(src="255.255.255.255", dst=target_ip) / echo)

    # Fragments: overlapping, a non-final fragment not a multiple of 8, past 65535 bytes.
    add("fragment-overlap-first", eth / IP(src=our_ip, dst=target_ip, id=77, flags="MF", frag=0, proto=1) / Raw(b"\x08\0" + b"\0" * 30))
    add("fragment-overlap-second", eth / IP(src=our_ip, dst=target_ip, id=77, flags="MF", frag=2, proto=1) / Raw(b"\0" * 32))
    add("fragment-odd-length", eth / IP(src=our_ip, dst=target_ip, id=78, flags="MF", frag=0, proto=1) / Raw(b"\0" * 13))
    add("fragment-too-large", eth / IP(src=our_ip, dst=target_ip, id=79, frag=8189, proto=1) / Raw(b"\0" * 64))

    # ICMP, UDP and TCP: checksums, lengths, options, flags, port 0.
    add("icmp-checksum", eth / ip / ICMP(type=8, chksum=0xBEEF) / Raw(b"x"))
    add("icmp-short", eth / IP(src=our_ip, dst=target_ip, proto=1) / Raw(b"\x08\0\0"))
    add("udp-checksum", eth / ip / UDP(sport=5000, dport=9999, chksum=0x1234) / Raw(b"x"))
    add("udp-length", eth / ip / UDP(sport=5000, dport=9999, len=300) / Raw(b"x"))
    add("tcp-checksum", eth / ip / TCP(sport=40002, dport=80, flags="S", chksum=0x1234))
    add("tcp-data-offset-short", eth / ip / TCP(sport=40003, dport=80, flags="S", dataofs=3))
    add("tcp-data-offset-long", eth / ip / TCP(sport=40004, dport=80, flags="S", dataofs=15))
    add("tcp-option-length-zero", tcp_with_options(eth, ip, 40005, b"\x02\x00\x05\xb4"))
    add("tcp-option-length-one", tcp_with_options(eth, ip, 40006, b"\x02\x01\x05\xb4"))
    add("tcp-option-past-header", tcp_with_options(eth, ip, 40007, b"\x08\x0a\x00\x00"))
    add("tcp-option-mss-length", tcp_with_options(eth, ip, 40008, b"\x02\x03\x05\x01"))
    add("tcp-syn-fin", eth / ip / TCP(sport=40009, dport=80, flags="SF", seq=5))
    add("tcp-no-flags", eth / ip / TCP(sport=40010, dport=80, flags=0, seq=5))
    add("tcp-xmas", eth / ip / TCP(sport=40011, dport=81, flags="FSRPAUEC", seq=5))
    add("tcp-port-zero", eth / ip / TCP(sport=0, dport=80, flags="S", seq=5))
    add("tcp-reserved-bits", eth / ip / TCP(sport=40012, dport=81, flags="S", reserved=7, seq=5))

    # ARP: wrong hardware type and address lengths, unknown operation.
    add("arp-hardware-type", eth / ARP(hwtype=6, psrc=our_ip, pdst=target_ip, hwsrc=our_mac))
    add("arp-lengths", eth / ARP(hwlen=8, psrc=our_ip, pdst=target_ip, hwsrc=our_mac))
    add("arp-operation", eth / ARP(op=9, psrc=our_ip, pdst=target_ip, hwsrc=our_mac))

    sent = []
    for name, frame in frames.items():
        for _ in range(REPEAT):
            sendp(frame, iface=iface)
        sent.append(name)
    print(json.dumps({"sent": sent, "repeat": REPEAT}))


def with_ip_options(frame, options):
    """Replaces the option bytes of a frame's IPv4 header (same length) and fixes the header checksum."""
    raw = bytearray(bytes(frame))
    header_length = (raw[14] & 0x0F) * 4
    raw[34:34 + len(options)] = options
    raw[24:26] = b"\0\0"
    total = sum((raw[i] << 8) | raw[i + 1] for i in range(14, 14 + header_length, 2))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    raw[24:26] = (~total & 0xFFFF).to_bytes(2, "big")
    return bytes(raw)


def tcp_with_options(eth, ip, sport, options):
    """A SYN whose option bytes are exactly `options`, with a correct checksum."""
    segment = TCP(sport=sport, dport=80, flags="S", seq=5, dataofs=5 + len(options) // 4) / Raw(options)
    return bytes(eth / ip / segment)


if __name__ == "__main__":
    main()
