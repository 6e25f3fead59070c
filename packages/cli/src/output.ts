// Output: aligned columns, colour (only on a TTY, never with NO_COLOR), payload formats.
import { readFileSync } from 'node:fs';

import { UsageError } from './errors.js';

/** Whether to colour what goes to `stream`: a TTY, and NO_COLOR unset or empty. */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  const no = process.env.NO_COLOR;
  return stream.isTTY === true && (no === undefined || no === '');
}

export interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  inverse(s: string): string;
}

export function paint(on: boolean): Paint {
  const w = (open: number, close: number) => (s: string) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { bold: w(1, 22), dim: w(2, 22), red: w(31, 39), inverse: w(7, 27) };
}

const ANSI = /\x1b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ANSI, '').length;

/**
 * Rows as aligned columns under a header; numeric columns (`right`) aligned right.
 *
 * @example
 * table(['ID', 'NAME'], [['1', 'a']], { right: [0] });
 */
export function table(header: string[], rows: string[][], opts: { right?: number[]; paint?: Paint } = {}): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const right = new Set(opts.right ?? []);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(widths[i]! - visible(c));
        return right.has(i) ? pad + c : i === cells.length - 1 ? c : c + pad;
      })
      .join('  ');
  const head = line(header);
  return [opts.paint ? opts.paint.bold(head) : head, ...rows.map(line)].join('\n') + '\n';
}

/** Seconds since the epoch as local time (today: HH:MM:SS), '-' for never (0). */
export function time(seconds: number): string {
  if (!seconds) return '-';
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  const hms = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return hms;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${hms}`;
}

let users: Map<number, string> | undefined;

/** A uid's name from /etc/passwd, or the number. */
export function userName(uid: number): string {
  if (!users) {
    users = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const [name, , id] = line.split(':');
        if (name && id && !users.has(Number(id))) users.set(Number(id), name);
      }
    } catch {
      /* no passwd: numbers */
    }
  }
  return users.get(uid) ?? String(uid);
}

/** Permission bits as ipcs prints them: 3 octal digits, with a leading 0 (0600). */
export function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

export type PayloadFormat = 'utf8' | 'hex' | 'json';

export function parseFormat(text: string | undefined): PayloadFormat {
  if (text === undefined) return 'utf8';
  if (text === 'utf8' || text === 'hex' || text === 'json') return text;
  throw new UsageError(`invalid format '${text}': hex, utf8 or json`);
}

/** Whether the bytes are valid UTF-8. */
function isUtf8(data: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

/** A hex dump: offset, 16 bytes in hex, the printable ones as text. */
export function hexdump(data: Uint8Array, indent = '  ', highlight?: (offset: number) => boolean, p?: Paint): string {
  const lines: string[] = [];
  for (let off = 0; off < data.length; off += 16) {
    const row = data.subarray(off, off + 16);
    const mark = (i: number, s: string) => (highlight && p && highlight(off + i) ? p.inverse(s) : s);
    const hex = [...row].map((b, i) => mark(i, b.toString(16).padStart(2, '0'))).join(' ');
    const pad = '   '.repeat(16 - row.length);
    const text = [...row].map((b, i) => mark(i, b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${indent}${off.toString(16).padStart(8, '0')}  ${hex}${pad}  |${text}|`);
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}

/**
 * One message as the chosen format: utf8 one line (escaped where needed), hex a header line and
 * a dump, json one object per line (`data` base64; `text` when the bytes are UTF-8, else null).
 */
export function formatMessage(m: { type: number; data: Buffer }, format: PayloadFormat, index?: number): string {
  if (format === 'json') {
    const o: Record<string, unknown> = {};
    if (index !== undefined) o.index = index;
    o.type = m.type;
    o.size = m.data.length;
    o.text = isUtf8(m.data) ? m.data.toString('utf8') : null;
    o.data = m.data.toString('base64');
    return `${JSON.stringify(o)}\n`;
  }
  const at = index === undefined ? '' : `#${index} `;
  if (format === 'hex') return `${at}type ${m.type}, ${m.data.length} bytes\n${hexdump(m.data)}`;
  const text = isUtf8(m.data) ? m.data.toString('utf8') : m.data.toString('latin1');
  // Control characters escaped so that one message is one line.
  const safe = text.replace(/[\x00-\x1f\x7f\\]/g, (c) => (c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return `${at}type ${m.type}: ${safe}\n`;
}

/** Where a command's output goes: stdout, with an optional callback once the write is done. */
export type Out = (text: string, done?: (err?: Error | null) => void) => void;

/** Settles once every write to stdout so far has gone through or failed. */
export function flushed(): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.destroyed || (process.stdout as { errored?: unknown }).errored) resolve();
    else process.stdout.write('', () => resolve());
  });
}
