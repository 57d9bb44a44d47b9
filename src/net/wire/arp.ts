// ARP for IPv4 over Ethernet (RFC 826).
import { readIpv4, writeIpv4, type Ipv4Address } from '../ipv4-address';
import { EtherType, readMac, writeMac, type MacAddress } from './ethernet';

export const ARP_PACKET_BYTES = 28;

export const ArpOperation = {
  REQUEST: 1,
  REPLY: 2,
} as const;

const HARDWARE_ETHERNET = 1;

const FIELD = {
  HARDWARE_TYPE: 0,
  PROTOCOL_TYPE: 2,
  HARDWARE_LENGTH: 4,
  PROTOCOL_LENGTH: 5,
  OPERATION: 6,
  SENDER_MAC: 8,
  SENDER_IP: 14,
  TARGET_MAC: 18,
  TARGET_IP: 24,
} as const;

export interface ArpPacket {
  operation: number;
  senderMac: MacAddress;
  senderIp: Ipv4Address;
  targetMac: MacAddress;
  targetIp: Ipv4Address;
}

export type ArpParseResult = { ok: true; packet: ArpPacket } | { ok: false; reason: string };

export function parseArp(bytes: Uint8Array): ArpParseResult {
  if (bytes.length < ARP_PACKET_BYTES) return { ok: false, reason: `ARP packet of ${bytes.length} bytes is too short` };
  const hardwareType = (bytes[FIELD.HARDWARE_TYPE] << 8) | bytes[FIELD.HARDWARE_TYPE + 1];
  const protocolType = (bytes[FIELD.PROTOCOL_TYPE] << 8) | bytes[FIELD.PROTOCOL_TYPE + 1];
  if (hardwareType !== HARDWARE_ETHERNET || protocolType !== EtherType.IPV4) {
    return { ok: false, reason: `ARP for hardware type ${hardwareType} and protocol 0x${protocolType.toString(16)} is not Ethernet/IPv4` };
  }
  if (bytes[FIELD.HARDWARE_LENGTH] !== 6 || bytes[FIELD.PROTOCOL_LENGTH] !== 4) {
    return { ok: false, reason: `ARP address lengths ${bytes[FIELD.HARDWARE_LENGTH]}/${bytes[FIELD.PROTOCOL_LENGTH]} are not 6/4` };
  }
  const operation = (bytes[FIELD.OPERATION] << 8) | bytes[FIELD.OPERATION + 1];
  if (operation !== ArpOperation.REQUEST && operation !== ArpOperation.REPLY) {
    return { ok: false, reason: `unknown ARP operation ${operation}` };
  }
  return {
    ok: true,
    packet: {
      operation,
      senderMac: readMac(bytes, FIELD.SENDER_MAC),
      senderIp: readIpv4(bytes, FIELD.SENDER_IP),
      targetMac: readMac(bytes, FIELD.TARGET_MAC),
      targetIp: readIpv4(bytes, FIELD.TARGET_IP),
    },
  };
}

export function emitArp(packet: ArpPacket, buffer: Uint8Array, offset = 0): void {
  buffer[offset + FIELD.HARDWARE_TYPE] = 0;
  buffer[offset + FIELD.HARDWARE_TYPE + 1] = HARDWARE_ETHERNET;
  buffer[offset + FIELD.PROTOCOL_TYPE] = EtherType.IPV4 >>> 8;
  buffer[offset + FIELD.PROTOCOL_TYPE + 1] = EtherType.IPV4 & 0xff;
  buffer[offset + FIELD.HARDWARE_LENGTH] = 6;
  buffer[offset + FIELD.PROTOCOL_LENGTH] = 4;
  buffer[offset + FIELD.OPERATION] = packet.operation >>> 8;
  buffer[offset + FIELD.OPERATION + 1] = packet.operation & 0xff;
  writeMac(buffer, offset + FIELD.SENDER_MAC, packet.senderMac);
  writeIpv4(buffer, offset + FIELD.SENDER_IP, packet.senderIp);
  writeMac(buffer, offset + FIELD.TARGET_MAC, packet.targetMac);
  writeIpv4(buffer, offset + FIELD.TARGET_IP, packet.targetIp);
}
