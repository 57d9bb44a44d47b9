// The interface every frame device implements: the TAP, the in-memory link
// used by tests, and the wrappers that inject faults or record a capture.

/** One frame to send: a single buffer, or parts written back to back (header, payload views). */
export type OutgoingFrame = Uint8Array | readonly Uint8Array[];

/** Called once per received batch, with one view per frame. */
export type FrameReceiver = (frames: Uint8Array[]) => void;

/**
 * Checksum and segmentation offload for one outgoing frame, honoured by
 * devices with `virtioNetHeader`: the device completes the L4 checksum and,
 * with `segmentSize`, cuts the frame into segments of that many payload
 * bytes (TCP segmentation offload).
 */
export interface FrameOffload {
  /** Offset of the L4 header from the start of the Ethernet frame. */
  l4Start: number;
  /** Offset of the checksum field inside the L4 header (TCP 16, UDP 6). */
  checksumOffset: number;
  /** Bytes of all headers up to the end of the L4 header. */
  headerLength: number;
  /** Payload bytes per segment; 0 when the frame is sent as it is. */
  segmentSize: number;
}

export interface FrameDevice {
  readonly name: string;
  /** Largest IP datagram a frame carries, in bytes (1500 on Ethernet). */
  readonly mtu: number;
  /**
   * True when outgoing frames start with a virtio-net header
   * (VIRTIO_NET_HEADER_BYTES) that requests offloads. Received frames never
   * carry it: the device strips it and completes partial checksums.
   */
  readonly virtioNetHeader?: boolean;
  start(receiver: FrameReceiver): void;
  /** Receives the frames the device itself drops, with the reason, so the stack counts them. */
  onDrop?(handler: (reason: string, detail?: string) => void): void;
  /** Sends a batch of frames; returns how many the device accepted (the rest are dropped). */
  send(frames: readonly OutgoingFrame[]): number;
  close(): void;
}

/** Total length of a frame given as one buffer or as parts. */
export function frameLength(frame: OutgoingFrame): number {
  if (frame instanceof Uint8Array) return frame.length;
  let length = 0;
  for (const part of frame) length += part.length;
  return length;
}

/** Copies a frame given as parts into one buffer (for captures and tests, not the fast path). */
export function flattenFrame(frame: OutgoingFrame): Uint8Array {
  if (frame instanceof Uint8Array) return frame;
  return Buffer.concat(frame as Uint8Array[]);
}
