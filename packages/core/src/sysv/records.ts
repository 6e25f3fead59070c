// The packed record layout shared with the addon (sysv_msg.cc):
//   [u32 length][u32 0][f64 type][length bytes of data][zero padding to 8]
import { markAsUntransferable } from 'node:worker_threads';

export interface Message {
  /** The message type (> 0). */
  type: number;
  /** The payload. Receivers get views into one buffer per batch. */
  data: Buffer;
}

export const RECORD_HEADER = 16;

const align8 = (n: number): number => (n + 7) & ~7;

let lastPool: ArrayBufferLike | undefined;

/**
 * Splits a receiver batch into messages (views, no copies). The addon hands small batches
 * over as a Uint8Array view into a shared pool (see EnvState::CopyOut), larger ones as a
 * Buffer. A pool is marked untransferable, as Node marks its own Buffer pool: transferring
 * one message's buffer to a worker must not detach the other messages' data.
 */
export function parseRecords(records: Uint8Array, count: number): Message[] {
  let buf: Buffer;
  if (Buffer.isBuffer(records)) {
    buf = records;
  } else {
    if (records.buffer !== lastPool) {
      lastPool = records.buffer;
      markAsUntransferable(lastPool);
    }
    buf = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
  }
  const out = new Array<Message>(count);
  let off = 0;
  for (let i = 0; i < count; i++) {
    const length = buf.readUInt32LE(off);
    const type = buf.readDoubleLE(off + 8);
    out[i] = { type, data: buf.subarray(off + RECORD_HEADER, off + RECORD_HEADER + length) };
    off += RECORD_HEADER + align8(length);
  }
  return out;
}

/** The byte offset of record `n` (after the first `n` records) of a packed buffer. */
export function recordOffset(buf: Buffer, n: number): number {
  let off = 0;
  for (let i = 0; i < n; i++) off += RECORD_HEADER + align8(buf.readUInt32LE(off));
  return off;
}

/** Packs messages into one buffer for a batched send. */
export function packRecords(messages: ReadonlyArray<{ type: number; data: Uint8Array }>): Buffer {
  let size = 0;
  for (const m of messages) size += RECORD_HEADER + align8(m.data.length);
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  for (const m of messages) {
    buf.writeUInt32LE(m.data.length, off);
    buf.writeUInt32LE(0, off + 4);
    buf.writeDoubleLE(m.type, off + 8);
    buf.set(m.data, off + RECORD_HEADER);
    const padded = align8(m.data.length);
    if (padded !== m.data.length) buf.fill(0, off + RECORD_HEADER + m.data.length, off + RECORD_HEADER + padded);
    off += RECORD_HEADER + padded;
  }
  return buf;
}
