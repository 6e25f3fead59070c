// Unix socket addresses as JS strings: a filesystem path ('/run/app.sock'), or a name in
// Linux's abstract namespace written with a leading NUL ('\0app'), as Node's net writes it.
import { isSystemError, outOfRange, invalidArgType } from '../errors.js';

/** sun_path holds 108 bytes: a path needs its terminating NUL, an abstract name does not. */
const SUN_PATH = 108;

/** The address's sun_path bytes for the native calls. */
export function encodeAddress(value: unknown, name = 'address'): Buffer {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string (a path, or an abstract name starting with "\\0")', value);
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length === 0) throw outOfRange(name, 'a non-empty path or abstract name', value);
  if (bytes[0] === 0) {
    if (bytes.length > SUN_PATH) throw outOfRange(name, `an abstract name of at most ${SUN_PATH - 1} bytes after the leading "\\0"`, value);
  } else {
    if (bytes.includes(0)) throw outOfRange(name, 'a path without NUL bytes (or an abstract name starting with "\\0")', value);
    if (bytes.length > SUN_PATH - 1) throw outOfRange(name, `a path of at most ${SUN_PATH - 1} bytes (sun_path)`, value);
  }
  return bytes;
}

/** The kernel's sun_path bytes as a string; undefined for an unnamed socket. */
export function decodeAddress(bytes: Buffer | undefined): string | undefined {
  if (bytes === undefined || bytes.length === 0) return undefined;
  return bytes.toString('utf8');
}

/** Adds Node's `address` field to a system error from a call on `address`. */
export function withAddress<E>(err: E, address: string | undefined): E {
  if (address !== undefined && isSystemError(err)) (err as unknown as { address: string }).address = address;
  return err;
}

/** An address as error messages show it: abstract names as '@name'. */
export function displayAddress(address: string): string {
  return address.startsWith('\0') ? `@${address.slice(1)}` : address;
}
