// The face of every OS failure: `code` (the errno's name, including the ones libuv cannot
// name such as ENOMSG and EIDRM), `errno` (positive), `syscall`, `path` when given, and the
// message "CODE: description, syscall 'path'".
import { constants as osConstants } from 'node:os';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { native } from '@rxipc/native';

// Linux errno names that Node's os.constants.errno lacks (asm-generic/errno.h).
const LINUX_ONLY: Record<number, string> = {
  15: 'ENOTBLK', 44: 'ECHRNG', 45: 'EL2NSYNC', 46: 'EL3HLT', 47: 'EL3RST', 48: 'ELNRNG', 49: 'EUNATCH',
  50: 'ENOCSI', 51: 'EL2HLT', 52: 'EBADE', 53: 'EBADR', 54: 'EXFULL', 55: 'ENOANO', 56: 'EBADRQC',
  57: 'EBADSLT', 59: 'EBFONT', 64: 'ENONET', 65: 'ENOPKG', 66: 'EREMOTE', 68: 'EADV', 69: 'ESRMNT',
  70: 'ECOMM', 73: 'EDOTDOT', 76: 'ENOTUNIQ', 77: 'EBADFD', 78: 'EREMCHG', 79: 'ELIBACC', 80: 'ELIBBAD',
  81: 'ELIBSCN', 82: 'ELIBMAX', 83: 'ELIBEXEC', 85: 'ERESTART', 86: 'ESTRPIPE', 87: 'EUSERS',
  94: 'ESOCKTNOSUPPORT', 96: 'EPFNOSUPPORT', 108: 'ESHUTDOWN', 109: 'ETOOMANYREFS', 112: 'EHOSTDOWN',
  117: 'EUCLEAN', 118: 'ENOTNAM', 119: 'ENAVAIL', 120: 'EISNAM', 121: 'EREMOTEIO', 123: 'ENOMEDIUM',
  124: 'EMEDIUMTYPE', 126: 'ENOKEY', 127: 'EKEYEXPIRED', 128: 'EKEYREVOKED', 129: 'EKEYREJECTED',
  130: 'EOWNERDEAD', 131: 'ENOTRECOVERABLE', 132: 'ERFKILL', 133: 'EHWPOISON',
};
// Numbers Linux never assigned (41 would be EWOULDBLOCK's slot, 58 EDEADLOCK's): no name.
const UNASSIGNED = new Set([41, 58]);

/** Every name Linux gives `errno` (EAGAIN/EWOULDBLOCK and ENOTSUP/EOPNOTSUPP share one). */
function namesOf(errno: number): string[] {
  const names = Object.entries(osConstants.errno)
    .filter(([, n]) => n === errno)
    .map(([name]) => name);
  if (LINUX_ONLY[errno]) names.push(LINUX_ONLY[errno]!);
  return names;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Checks one error against the documented shape; returns its description. */
function expectShape(err: Error & { code?: unknown; errno?: unknown; syscall?: unknown; path?: unknown }, errno: number, syscall: string, path?: string): string {
  expect(err).toBeInstanceOf(Error);
  expect(err.errno).toBe(errno);
  expect(err.syscall).toBe(syscall);
  if (path === undefined) expect(err).not.toHaveProperty('path');
  else expect(err.path).toBe(path);
  const code = err.code as string;
  if (UNASSIGNED.has(errno)) expect(code).toBe('UNKNOWN');
  else expect(namesOf(errno)).toContain(code);
  const tail = `, ${syscall}${path === undefined ? '' : ` '${path}'`}`;
  const m = new RegExp(`^${escape(code)}: (.+)${escape(tail)}$`, 's').exec(err.message);
  expect(m, err.message).not.toBeNull();
  const description = m![1]!;
  // Lower case the way Node writes it ("no such file or directory"); an acronym or a
  // symbol may lead ("RFS specific error", ".lib section in a.out corrupted").
  expect(description, err.message).not.toMatch(/^[A-Z][a-z]/);
  expect(description).not.toMatch(/^\s|\s$/);
  return description;
}

describe('system error shape', () => {
  it('names every errno 1..133 and shapes its error (exhaustive)', () => {
    const descriptions = new Set<string>();
    for (let errno = 1; errno <= 133; errno++) {
      const err = native.testing.makeSystemError(errno, 'msgrcv');
      descriptions.add(expectShape(err, errno, 'msgrcv'));
    }
    // A description per errno, not one generic text (41 and 58 share "unknown error N" form).
    expect(descriptions.size).toBe(133);
  });

  it('uses the names libuv cannot give: ENOMSG, EIDRM and friends', () => {
    const cases: Array<[number, string, string]> = [
      [42, 'ENOMSG', 'no message of desired type'],
      [43, 'EIDRM', 'identifier removed'],
      [11, 'EAGAIN', 'resource temporarily unavailable'],
      [6, 'ENXIO', 'no such device or address'],
      [32, 'EPIPE', 'broken pipe'],
      [2, 'ENOENT', 'no such file or directory'],
      [110, 'ETIMEDOUT', 'connection timed out'],
      [125, 'ECANCELED', 'operation canceled'],
    ];
    for (const [errno, code, description] of cases) {
      const err = native.testing.makeSystemError(errno, 'open', '/x');
      expect(err.code).toBe(code);
      expect(err.message).toBe(`${code}: ${description}, open '/x'`);
    }
  });

  it('property: any errno, syscall and path give the documented shape', () => {
    const syscall = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/);
    const path = fc.option(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }).filter((s) => !s.includes('\0')),
      { nil: undefined },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 133 }), syscall, path, (errno, sc, p) => {
        const err = p === undefined ? native.testing.makeSystemError(errno, sc) : native.testing.makeSystemError(errno, sc, p);
        expectShape(err, errno, sc, p);
        // Same errno, same description, whatever the call and path.
        const plain = native.testing.makeSystemError(errno, 'x').message;
        expect(err.message.startsWith(plain.slice(0, plain.length - ', x'.length))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('beyond 133: numbers without a name are UNKNOWN, still shaped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 134, max: 4095 }), (errno) => {
        const err = native.testing.makeSystemError(errno, 'open');
        expect(err.errno).toBe(errno);
        expect(err.code).toBe('UNKNOWN');
        expect(err.message).toMatch(/^UNKNOWN: [a-z].*, open$/);
      }),
      { numRuns: 100 },
    );
  });
});
