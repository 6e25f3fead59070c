// The seqlock record protocol of shared-memory change feeds, shared by publish() (writer),
// snapshot() (reader) and waitForChange() (futex waiter). The layout is the contract with
// programs in other languages (README "Shared memory records"; a C writer is in
// packages/core/test/fixtures/shm-writer.c):
//
//   offset + 0   u32 sequence   odd while a write is in progress, even when done; 0 = never
//   offset + 4   u32 length     bytes of data
//   offset + 8   data
//
// Words are native-endian, which is little-endian on every Linux Node supports in practice
// (x86-64, arm64). `offset` is a multiple of 4 (the futex word must be aligned).
//
// Writer: seq' = seq | 1 (store, odd) -> store length, copy data -> store seq' + 1 (even) ->
// FUTEX_WAKE(all) on the sequence word. A sequence left odd by a writer that died mid-write is
// taken over by the next write (seq | 1 is already odd; it then ends even).
// Reader: load seq (retry while odd) -> load length, copy data -> load seq again; equal means
// the copy is consistent. Atomics on an Int32Array over the mapping, and the addon's
// acquire loads, order these stores and loads across processes.
import { invalidArgValue, outOfRange } from '../errors.js';
import { validateInteger } from '../validate.js';

/** Bytes before a record's data. */
export const RECORD_HEADER = 8;

/** A record offset: a multiple of 4 with room for the header. */
export function validateRecordOffset(offset: unknown, size: number): number {
  if (size < RECORD_HEADER) throw outOfRange('size', `>= ${RECORD_HEADER} for a record`, size);
  validateInteger(offset, 'offset', 0, size - RECORD_HEADER);
  if ((offset as number) % 4 !== 0) throw invalidArgValue('offset', 'must be a multiple of 4 (the sequence word is a futex)', offset);
  return offset as number;
}

/** Marks the record at `offset` as being written; returns the odd sequence stored. */
export function beginWrite(words: Int32Array, offset: number): number {
  const i = offset >> 2;
  const odd = Atomics.load(words, i) | 1;
  Atomics.store(words, i, odd);
  return odd;
}

/** Ends the write begun with `odd`; returns the new even sequence as a uint32. */
export function endWrite(words: Int32Array, offset: number, odd: number): number {
  const even = (odd + 1) | 0;
  Atomics.store(words, offset >> 2, even);
  return even >>> 0;
}
