import { invalidArgType, invalidArgValue, validateString, withCode } from '@rxipc/core/internal';

/** The bytes a decoder was given: a Buffer (or any Uint8Array), as a typed queue passes. */
function bytesOf(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  // A view of a detached buffer has length 0 (and a buffer no Buffer may be made over).
  if (data instanceof Uint8Array) return data.byteLength === 0 ? Buffer.alloc(0) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgType('data', 'an instance of Buffer or Uint8Array', data);
}

/**
 * Turns values into message payloads and back. `decode` may throw: a typed queue reports
 * that as a `DecodeError`.
 *
 * @example
 * const decimal: Codec<number> = { encode: (n) => String(n), decode: (data) => Number(data.toString()) };
 */
export interface Codec<T> {
  encode(value: T): Uint8Array | string;
  decode(data: Buffer): T;
}

/**
 * JSON text (UTF-8). `encode` throws a TypeError `ERR_INVALID_ARG_VALUE` for a value JSON
 * cannot carry (a BigInt, a cycle, `undefined`); `decode` throws a SyntaxError with code
 * `ERR_INVALID_ARG_VALUE` on malformed JSON (a typed queue reports that as a decode error).
 *
 * @example
 * const order = { type: 1, codec: json<{ id: number }>() };
 */
export function json<T>(): Codec<T> {
  return {
    encode: (value) => {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (cause) {
        throw Object.assign(invalidArgValue('value', 'cannot be written as JSON', value), { cause });
      }
      if (text === undefined) throw invalidArgValue('value', 'cannot be written as JSON', value);
      return text;
    },
    decode: (data) => {
      const text = bytesOf(data).toString('utf8');
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw withCode(err as Error, 'ERR_INVALID_ARG_VALUE');
      }
    },
  };
}

/**
 * UTF-8 text; `encode` takes strings only; decoding rejects invalid UTF-8
 * (ERR_ENCODING_INVALID_ENCODED_DATA).
 *
 * @example
 * const note = { type: 2, codec: utf8() };
 */
export function utf8(): Codec<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return {
    encode: (value) => validateString(value, 'value'),
    decode: (data) => decoder.decode(bytesOf(data)),
  };
}

/**
 * Raw bytes, unchanged (`encode` takes a Buffer or any Uint8Array).
 *
 * @example
 * const blob = { type: 3, codec: bytes() };
 */
export function bytes(): Codec<Buffer> {
  return {
    encode: (value) => {
      if (!(value instanceof Uint8Array)) throw invalidArgType('value', 'an instance of Buffer or Uint8Array', value);
      return value;
    },
    decode: (data) => bytesOf(data),
  };
}
