// The packed record layout shared with the addon (no kernel):
//   [u32 length][u32 0][f64 type][length bytes][zero padding to 8]
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { packRecords, parseRecords, RECORD_HEADER } from '../../src/sysv/records.js';

const messageArb = fc.record({
  type: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.bigInt({ min: 1n, max: 2n ** 53n - 1n }).map(Number)),
  data: fc.uint8Array({ maxLength: 70 }),
});

describe('message records', () => {
  it('pack then parse gives back every type and payload, in order', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { maxLength: 30 }), (messages) => {
        const parsed = parseRecords(packRecords(messages), messages.length);
        expect(parsed.map((m) => m.type)).toEqual(messages.map((m) => m.type));
        expect(parsed.map((m) => Buffer.from(m.data).toString('hex'))).toEqual(messages.map((m) => Buffer.from(m.data).toString('hex')));
      }),
    );
  });

  it('each record is 8-aligned, with a zero pad word and zero padding', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 10 }), (messages) => {
        const buf = packRecords(messages);
        let off = 0;
        for (const m of messages) {
          expect(off % 8).toBe(0);
          expect(buf.readUInt32LE(off)).toBe(m.data.length);
          expect(buf.readUInt32LE(off + 4)).toBe(0);
          expect(buf.readDoubleLE(off + 8)).toBe(m.type);
          const end = off + RECORD_HEADER + m.data.length;
          const padded = off + RECORD_HEADER + ((m.data.length + 7) & ~7);
          expect([...buf.subarray(end, padded)].every((b) => b === 0)).toBe(true);
          off = padded;
        }
        expect(off).toBe(buf.length);
      }),
    );
  });

  it('parsed payloads are views into the one batch buffer, not copies', () => {
    const buf = packRecords([
      { type: 1, data: Buffer.from('abc') },
      { type: 2, data: Buffer.from('defghijk') },
    ]);
    const [a, b] = parseRecords(buf, 2);
    expect(a!.data.buffer).toBe(buf.buffer);
    expect(b!.data.byteOffset).toBe(buf.byteOffset + 2 * RECORD_HEADER + 8);
  });
});
