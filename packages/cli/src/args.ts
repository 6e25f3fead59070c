// Command-line values: keys, ids, integers, modes.
import { ftok } from '@rxipc/core';

import { UsageError } from './errors.js';

/**
 * A System V key: decimal (`1234`), hex as ipcs prints it (`0x000004d2`) or `ftok:PATH:ID`
 * (ID 1..255). Returned as the unsigned 32-bit value.
 */
export function parseKey(text: string): number {
  const f = /^ftok:(.+):(\d+)$/.exec(text);
  if (f) {
    const id = Number(f[2]);
    if (id < 1 || id > 255) throw new UsageError(`invalid key '${text}': the ftok id must be 1..255`);
    return ftok(f[1]!, id) >>> 0;
  }
  let n: number;
  if (/^0x[0-9a-f]{1,8}$/i.test(text)) n = Number.parseInt(text.slice(2), 16);
  else if (/^-?\d+$/.test(text)) n = Number(text);
  else throw new UsageError(`invalid key '${text}': use decimal, 0x hex or ftok:PATH:ID`);
  if (!Number.isSafeInteger(n) || n < -(2 ** 31) || n > 2 ** 32 - 1) throw new UsageError(`invalid key '${text}': out of the 32-bit range`);
  return n >>> 0;
}

/** An integer option within [min, max]. */
export function parseInteger(text: string, name: string, min: number, max: number): number {
  const n = /^-?(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text.startsWith('-') ? -Number(text.slice(1)) : text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`invalid ${name} '${text}': an integer ${min}..${max}`);
  return n;
}

/** Permission bits in octal, as chmod takes them (`600`, `0640`). */
export function parseMode(text: string): number {
  if (!/^0?[0-7]{1,3}$/.test(text)) throw new UsageError(`invalid mode '${text}': octal permission bits like 600`);
  return Number.parseInt(text, 8);
}

/** How a key prints: as ipcs does. */
export function keyHex(key: number): string {
  return `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
}

/** The object a command acts on: a key (not IPC_PRIVATE: that would make a new object) or an id. */
export type Target = { key: number; id?: undefined } | { id: number; key?: undefined };

export function parseTarget(positional: string | undefined, id: string | undefined, what: string): Target {
  if (positional !== undefined && id !== undefined) throw new UsageError(`give the ${what} as KEY or --id ID, not both`);
  if (id !== undefined) return { id: parseInteger(id, 'id', 0, 2 ** 31 - 1) };
  if (positional === undefined) throw new UsageError(`which ${what}? give KEY or --id ID`);
  const key = parseKey(positional);
  if (key === 0) throw new UsageError(`key 0 is IPC_PRIVATE (every object made with it has key 0): use --id ID`);
  return { key };
}

/** `(key 0x000004d2)` / `(id 5)`: the object an error message names. */
export function targetName(t: Target): string {
  return t.id !== undefined ? `id ${t.id}` : `key ${keyHex(t.key)}`;
}
