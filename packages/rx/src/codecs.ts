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
 * JSON text (UTF-8). `decode` throws on malformed JSON; a typed queue reports that as a
 * decode error.
 *
 * @example
 * const order = { type: 1, codec: json<{ id: number }>() };
 */
export function json<T>(): Codec<T> {
  return {
    encode: (value) => JSON.stringify(value),
    decode: (data) => JSON.parse(data.toString('utf8')) as T,
  };
}

/**
 * UTF-8 text; decoding rejects invalid UTF-8.
 *
 * @example
 * const note = { type: 2, codec: utf8() };
 */
export function utf8(): Codec<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return {
    encode: (value) => value,
    decode: (data) => decoder.decode(data),
  };
}

/**
 * Raw bytes, unchanged.
 *
 * @example
 * const blob = { type: 3, codec: bytes() };
 */
export function bytes(): Codec<Buffer> {
  return {
    encode: (value) => value,
    decode: (data) => data,
  };
}
