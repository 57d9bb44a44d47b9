// Checksum and segmentation offload through a virtio-net header: the frames
// the stack hands to such a device, checked by a device double that does
// the kernel's part (completing the checksum) before passing them on.
import * as assert from 'node:assert/strict';
import { finishChecksum, onesComplementSum } from '../../../src/net/checksum';
import type { FrameDevice, FrameReceiver, OutgoingFrame } from '../../../src/net/phy/device';
import { flattenFrame } from '../../../src/net/phy/device';
import { createMemoryLink } from '../../../src/net/phy/memory-link';
import { createServer, connect } from '../../../src/net/socket';
import { NetworkStack } from '../../../src/net/stack';
import { emitVirtioNetHeader, parseVirtioNetHeader, VIRTIO_NET_HEADER_BYTES, VirtioNetFlags, VirtioNetGso, type VirtioNetHeader } from '../../../src/net/wire/virtio-net';
import { verifyTcpChecksum } from '../../../src/net/wire/tcp';

/** Completes NEEDS_CSUM checksums like the kernel and records every header seen. */
class VirtioNetDouble implements FrameDevice {
  readonly virtioNetHeader = true;
  readonly headers: VirtioNetHeader[] = [];
  readonly frameLengths: number[] = [];

  constructor(private readonly inner: FrameDevice) {}

  get name(): string {
    return this.inner.name;
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  start(receiver: FrameReceiver): void {
    this.inner.start(receiver);
  }

  send(frames: readonly OutgoingFrame[]): number {
    const out: Uint8Array[] = [];
    for (const frame of frames) {
      const bytes = Uint8Array.from(flattenFrame(frame));
      const header = parseVirtioNetHeader(bytes);
      this.headers.push(header);
      const body = bytes.subarray(VIRTIO_NET_HEADER_BYTES);
      this.frameLengths.push(body.length);
      if ((header.flags & VirtioNetFlags.NEEDS_CSUM) !== 0) {
        const field = header.checksumStart + header.checksumOffset;
        const checksum = finishChecksum(onesComplementSum(body, header.checksumStart, body.length));
        body[field] = checksum >>> 8;
        body[field + 1] = checksum & 0xff;
      }
      out.push(body);
    }
    this.inner.send(out);
    return frames.length;
  }

  close(): void {
    this.inner.close();
  }
}

describe('virtio-net offload', () => {
  it('round-trips the header', () => {
    const bytes = new Uint8Array(VIRTIO_NET_HEADER_BYTES);
    const header = { flags: 1, gsoType: 1, headerLength: 66, gsoSize: 1448, checksumStart: 34, checksumOffset: 16 };
    emitVirtioNetHeader(header, bytes);
    assert.equal(Buffer.from(bytes).toString('hex'), '0101' + '4200' + 'a805' + '2200' + '1000' + '0000');
    assert.deepEqual(parseVirtioNetHeader(bytes), header);
  });

  it('sends large segments with partial checksums', async () => {
    const [serverEnd, clientEnd] = createMemoryLink();
    const device = new VirtioNetDouble(serverEnd);
    const server = new NetworkStack({ device, mac: 0x020000000001, staticArp: [{ ip: 0x0a000002, mac: 0x020000000002 }] });
    const client = new NetworkStack({ device: clientEnd, mac: 0x020000000002, staticArp: [{ ip: 0x0a000001, mac: 0x020000000001 }] });
    server.start();
    client.start();
    server.configure({ address: 0x0a000001, prefixLength: 24 });
    client.configure({ address: 0x0a000002, prefixLength: 24 });

    const payload = Buffer.alloc(300_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 3) & 0xff;
    const listener = createServer(server, (socket) => socket.end(payload));
    listener.listen(80);

    const received: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const socket = connect(client, { host: '10.0.0.1', port: 80 });
      socket.on('data', (data: Buffer) => received.push(Buffer.from(data)));
      socket.on('end', () => resolve());
      socket.on('error', reject);
    });
    assert.deepEqual(Buffer.concat(received), payload);

    // Every frame asked for the checksum; data beyond one MSS went as GSO frames.
    const tcpHeaders = device.headers.filter((header) => header.checksumStart === 34);
    assert.ok(tcpHeaders.length > 0);
    for (const header of tcpHeaders) {
      assert.equal(header.flags, VirtioNetFlags.NEEDS_CSUM);
      assert.equal(header.checksumOffset, 16);
    }
    const large = tcpHeaders.filter((header) => header.gsoType === VirtioNetGso.TCPV4);
    assert.ok(large.length > 0, 'no GSO frame was sent');
    for (const header of large) {
      assert.ok(header.gsoSize > 0, `gso size ${header.gsoSize}`);
      assert.ok(header.gsoSize <= 1460, `gso size ${header.gsoSize}`);
      assert.ok(header.headerLength >= 54, `header length ${header.headerLength}`);
    }
    assert.ok(Math.max(...device.frameLengths) > 1514, 'no frame above the MTU');
    listener.close();
    server.close();
    client.close();
  });

  it('completes partial checksums to valid ones', () => {
    // A TCP segment whose checksum field contains the pseudo-header sum, as the stack sends it.
    const source = 0x0a000001;
    const destination = 0x0a000002;
    const segment = Buffer.from('0050c0000000000100000000501000005a5a0000', 'hex');
    const withPayload = Buffer.concat([segment, Buffer.from('hello, offload')]);
    const pseudo = onesComplementSum(Buffer.from([10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, withPayload.length]));
    withPayload.writeUInt16BE(pseudo, 16);
    const checksum = finishChecksum(onesComplementSum(withPayload));
    withPayload.writeUInt16BE(checksum, 16);
    assert.ok(verifyTcpChecksum(source, destination, withPayload));
  });
});
