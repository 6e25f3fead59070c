// Codecs without a queue: encode then decode is the identity for every value the codec
// accepts, and malformed input throws (which a typed queue reports as a decode error).
import { bytes, json, utf8 } from '@rxipc/rx';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// What a queue does to an encoded payload: a string goes out as UTF-8.
const wire = (encoded: Uint8Array | string): Buffer => (typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : Buffer.from(encoded));

const isJson = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

describe('codecs', () => {
  it('json round-trips any JSON value', () => {
    const codec = json<unknown>();
    // JSON itself has no -0: it reads back as 0, so the values are taken as JSON reads them.
    const jsonValue = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    fc.assert(
      fc.property(jsonValue, (v) => {
        expect(codec.decode(wire(codec.encode(v)))).toEqual(v);
      }),
    );
  });

  it('json decode throws on malformed JSON', () => {
    const codec = json<unknown>();
    fc.assert(
      fc.property(
        fc.string().filter((s) => !isJson(s)),
        (s) => {
          expect(() => codec.decode(Buffer.from(s))).toThrow(SyntaxError);
        },
      ),
    );
  });

  it('utf8 round-trips any well-formed string', () => {
    const codec = utf8();
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(codec.decode(wire(codec.encode(s)))).toBe(s);
      }),
    );
  });

  it('utf8 decode rejects invalid UTF-8', () => {
    const codec = utf8();
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0x61, 0x80]]) {
      expect(() => codec.decode(Buffer.from(bad))).toThrow(TypeError);
    }
  });

  it('bytes round-trips any bytes unchanged', () => {
    const codec = bytes();
    fc.assert(
      fc.property(fc.uint8Array(), (a) => {
        expect(codec.decode(wire(codec.encode(Buffer.from(a))))).toEqual(Buffer.from(a));
      }),
    );
  });
});
