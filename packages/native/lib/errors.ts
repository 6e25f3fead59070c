import type { ErrnoTable, SystemErrorFields } from './binding.js';

/** An error from the kernel, shaped the way Node shapes its own: `code`, `errno`, `syscall`, `path`. */
export type SystemError = Error & SystemErrorFields;

// The errno names and descriptions of the loaded addon (glibc's strerrorname_np / strerror):
// libuv's map has no ENOMSG or EIDRM, so util.getSystemErrorName cannot name them.
let table: ErrnoTable = [];

/** @internal the loader hands over the addon's table before installing the factory. */
export function useErrnoTable(errnos: ErrnoTable): void {
  table = errnos;
}

/** Node (libuv) writes descriptions in lower case ("no such file or directory"); an acronym keeps its case. */
function lowerFirst(d: string): string {
  return d.length > 1 && /^[A-Z][^A-Z]/.test(d) ? d[0]!.toLowerCase() + d.slice(1) : d;
}

/**
 * The one builder of system errors, for the addon (which calls it through the factory the
 * loader installs once per environment) and for JS (an errno a waiter task reported, a
 * timeout). `code` is the errno's name ('UNKNOWN' for a number without one), `errno` the
 * positive number, message `CODE: description, syscall 'path'`.
 *
 * @example
 * systemError(2, 'open', '/x'); // ENOENT: no such file or directory, open '/x'
 */
export function systemError(errno: number, syscall: string, path?: string): SystemError {
  const entry = table[errno];
  const code = entry?.[0] ?? 'UNKNOWN';
  const description = lowerFirst(entry?.[1] ?? `Unknown error ${errno}`);
  const err = new Error(`${code}: ${description}, ${syscall}${path === undefined ? '' : ` '${path}'`}`) as SystemError;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  // The stack starts where the failing call was made, not in this builder.
  Error.captureStackTrace?.(err, systemError);
  return err;
}
