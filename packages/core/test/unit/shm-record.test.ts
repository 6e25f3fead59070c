// The seqlock record's writer steps on a plain Int32Array (no kernel): odd while writing,
// even after, a sequence left odd by a dead writer taken over, uint32 wrap-around.
import { describe, expect, it } from 'vitest';

import { beginWrite, endWrite, RECORD_HEADER, validateRecordOffset } from '../../src/shm/record.js';

describe('seqlock record steps', () => {
  it('odd while writing, even after; a dead writer’s odd sequence is taken over', () => {
    const words = new Int32Array(8);
    const odd = beginWrite(words, 8);
    expect(odd).toBe(1);
    expect(words[2]).toBe(1);
    expect(endWrite(words, 8, odd)).toBe(2);
    words[2] = 5; // a writer died mid-write
    const again = beginWrite(words, 8);
    expect(again).toBe(5);
    expect(endWrite(words, 8, again)).toBe(6);
  });

  it('wraps around 2^32 as a uint32, skipping no parity', () => {
    const words = new Int32Array(2);
    words[0] = -2; // 0xfffffffe
    const odd = beginWrite(words, 0);
    expect(odd >>> 0).toBe(0xffffffff);
    expect(endWrite(words, 0, odd)).toBe(0);
  });

  it('offsets: a multiple of 4 with room for the header', () => {
    expect(RECORD_HEADER).toBe(8);
    expect(validateRecordOffset(0, 8)).toBe(0);
    expect(() => validateRecordOffset(4, 8)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => validateRecordOffset(2, 64)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => validateRecordOffset(0, 7)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => validateRecordOffset('0', 64)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
