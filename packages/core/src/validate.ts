// Argument validation: misuse is thrown early, synchronously, in one voice
// (TypeError / RangeError with ERR_* codes), before anything reaches the kernel.
import { invalidArgType, invalidArgValue, invalidInstance, outOfRange } from './errors.js';

export const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

export function validateInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

export function validateBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

export function validateString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  return value;
}

export function validateObject<T extends object>(value: unknown, name: string): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  return value as T;
}

/** `undefined` becomes `{}`; anything else must be a plain object. */
export function validateOptions<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === undefined) return {};
  return validateObject<Partial<T>>(value, name);
}

export function validateFunction(value: unknown, name: string): (...args: never[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value as (...args: never[]) => unknown;
}

export function validateAbortSignal(value: unknown, name = 'signal'): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || !('aborted' in value) || !('addEventListener' in value)) {
    throw invalidArgType(name, 'an instance of AbortSignal', value);
  }
  return value as AbortSignal;
}

/** A timeout in milliseconds, or undefined for none. */
export function validateTimeout(value: unknown, name = 'timeout'): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(value >= 0) || value > 2 ** 31 - 1) throw outOfRange(name, '>= 0 && <= 2147483647', value);
  return value;
}

/** A permission mode: 0 to 0o777. */
export function validateMode(value: unknown, name = 'mode'): number {
  return validateInteger(value, name, 0, 0o777);
}

export type Payload = Buffer | Uint8Array | string;

/** Buffer, any Uint8Array, or a string (UTF-8) as a Uint8Array view, without copying bytes. */
export function toBytes(value: unknown, name = 'data'): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw invalidArgType(name, 'of type string or an instance of Buffer or Uint8Array', value);
}

/** A path without NUL bytes. */
export function validatePath(value: unknown, name = 'path'): string {
  const s = validateString(value, name);
  if (s.length === 0) throw outOfRange(name, 'a non-empty path', value);
  if (s.includes('\0')) throw invalidArgValue(name, 'must be a string without null bytes', s.replace(/\0/g, '\\x00'));
  return s;
}

/**
 * `value` must be an instance of `type` (a public-API guard: an object that merely looks
 * like a MessageQueue would fail later, inside, with "x is not a function").
 *
 * @example
 * validateInstance(queue, MessageQueue, 'queue');
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- a class with a private constructor is still a Function
export function validateInstance<T>(value: unknown, type: Function & { prototype: T }, name: string): T {
  if (!(value instanceof type)) throw invalidInstance(name, type.name, value);
  return value as T;
}

type Methods<K extends string> = { [P in K]: (...args: never[]) => unknown };

/** An object with the given methods (a duck-typed stream: any Node-compatible implementation). */
function validateMethods<K extends string>(value: unknown, name: string, className: string, methods: readonly K[]): Methods<K> {
  const ok =
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) throw invalidInstance(name, className, value);
  return value as Methods<K>;
}

/** A Node Readable (or anything with its event and destroy methods). */
export function validateReadable<T>(value: unknown, name = 'stream'): T {
  return validateMethods(value, name, 'Readable', ['on', 'once', 'off', 'destroy'] as const) as T;
}

/** A Node Writable (or anything with its write/end and event methods). */
export function validateWritable<T>(value: unknown, name = 'stream'): T {
  return validateMethods(value, name, 'Writable', ['write', 'end', 'on', 'once', 'off'] as const) as T;
}
