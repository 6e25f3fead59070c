// The commands that act on one object: peek, send, rm, mk, tail.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

import { IPC_PRIVATE, MessageQueue, SemaphoreSet, SharedMemory, type Message } from '@rxipc/core';
import { messages } from '@rxipc/rx';

import { keyHex, parseInteger, parseKey, parseMode, targetName, type Target } from './args.js';
import { CliError, UsageError } from './errors.js';
import { flushed, formatMessage, type Out, type PayloadFormat } from './output.js';
import { isOutputClosed, runUntilStopped } from './stop.js';

/** Set while a command runs: the object its errors name. */
export const context: { object: string | undefined } = { object: undefined };

const NAMES = { queue: 'message queue', shm: 'shared memory segment', sem: 'semaphore set' } as const;

/**
 * Opens an existing object; a missing one fails with one clear line (msgget's ENOENT for a
 * key, msgctl's EINVAL for an id) instead of the bare errno text.
 */
export function existing<T>(kind: keyof typeof NAMES, t: Target, open: () => T): T {
  context.object = targetName(t);
  try {
    return open();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT' || ((code === 'EINVAL' || code === 'EIDRM') && t.id !== undefined)) {
      throw new CliError(`${code}: no ${NAMES[kind]} with ${targetName(t)}`);
    }
    throw e;
  }
}

function openQueue(t: Target): MessageQueue {
  return existing('queue', t, () => (t.id !== undefined ? MessageQueue.fromId(t.id) : MessageQueue.open(t.key)));
}

/** Whether a message of `type` passes the --type / --except filter (msgrcv's rules). */
function matches(type: number, want: number, except: boolean): boolean {
  if (want === 0) return true;
  if (want < 0) return type <= -want;
  return except ? type !== want : type === want;
}

export interface PeekOptions {
  type: number;
  except: boolean;
  count: number;
  format: PayloadFormat;
}

/**
 * Prints queued messages without taking them (msgrcv MSG_COPY), oldest first, with their
 * position in the queue. Returns how many were printed.
 */
export async function peek(t: Target, o: PeekOptions, out: Out): Promise<number> {
  const q = openQueue(t);
  try {
    let shown = 0;
    for (let i = 0; shown < o.count; i++) {
      const m = q.peek(i);
      if (m === undefined || isOutputClosed()) break;
      if (!matches(m.type, o.type, o.except)) continue;
      out(formatMessage(m, o.format, i));
      shown++;
    }
    return shown;
  } finally {
    await q.close();
  }
}

/** Sends DATA, a file's bytes, or (with '-') each line of stdin as one message. */
export async function send(t: Target, type: number, source: { data?: string; file?: string; stdin?: boolean }): Promise<number> {
  const q = openQueue(t);
  try {
    if (source.stdin) {
      let n = 0;
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      for await (const line of lines) {
        await q.send(type, line);
        n++;
      }
      return n;
    }
    const data = source.file !== undefined ? readFileSync(source.file) : Buffer.from(source.data ?? '');
    await q.send(type, data);
    return 1;
  } finally {
    await q.close();
  }
}

export type ObjectKind = 'queue' | 'shm' | 'sem';

export function parseObjectKind(text: string | undefined): ObjectKind {
  if (text === 'queue' || text === 'shm' || text === 'sem') return text;
  if (text === 'queues' || text === 'msg') return 'queue';
  if (text === 'sems') return 'sem';
  throw new UsageError(text === undefined ? 'which kind? queue, shm or sem' : `unknown kind '${text}': queue, shm or sem`);
}

/** Removes a queue, segment or semaphore set; a missing one fails (ENOENT / EINVAL). */
export async function remove(kind: ObjectKind, t: Target): Promise<number> {
  context.object = targetName(t);
  if (kind === 'queue') {
    const q = openQueue(t);
    const id = q.id;
    q.remove();
    await q.close();
    return id;
  }
  if (kind === 'shm') {
    const s = existing('shm', t, () => (t.id !== undefined ? SharedMemory.fromId(t.id) : SharedMemory.open(t.key)));
    const id = s.id;
    s.remove();
    await s.close();
    return id;
  }
  const s = existing('sem', t, () => (t.id !== undefined ? SemaphoreSet.fromId(t.id) : SemaphoreSet.open(t.key)));
  const id = s.id;
  s.remove();
  await s.close();
  return id;
}

export interface MakeOptions {
  key?: string;
  size?: string;
  count?: string;
  mode?: string;
}

/** Makes a new object (IPC_PRIVATE unless --key; with a key, fails if one exists) and returns its id. */
export async function make(kind: ObjectKind, o: MakeOptions): Promise<number> {
  const key = o.key === undefined ? IPC_PRIVATE : parseKey(o.key);
  const mode = o.mode === undefined ? 0o600 : parseMode(o.mode);
  const opts = { create: true, exclusive: key !== IPC_PRIVATE, mode };
  context.object = key === IPC_PRIVATE ? 'IPC_PRIVATE' : `key ${keyHex(key)}`;
  if (kind === 'queue') {
    if (o.size !== undefined || o.count !== undefined) throw new UsageError('mk queue takes no --size or --count');
    const q = MessageQueue.open(key, opts);
    await q.close();
    return q.id;
  }
  if (kind === 'shm') {
    if (o.size === undefined) throw new UsageError('mk shm needs --size N (bytes)');
    if (o.count !== undefined) throw new UsageError('mk shm takes no --count');
    const s = SharedMemory.open(key, { ...opts, size: parseInteger(o.size, 'size', 1, Number.MAX_SAFE_INTEGER) });
    await s.close();
    return s.id;
  }
  if (o.size !== undefined) throw new UsageError('mk sem takes no --size');
  const count = o.count === undefined ? 1 : parseInteger(o.count, 'count', 1, 65535);
  const s = SemaphoreSet.open(key, { ...opts, count });
  await s.close();
  return s.id;
}

export interface TailOptions {
  type: number;
  except: boolean;
  format: PayloadFormat;
  /** Stop after this many messages (default: until Ctrl-C). */
  count: number;
}

/**
 * Takes and prints messages as they arrive (rx messages()). SIGINT / SIGTERM / SIGHUP, or
 * `count` messages, end it: unsubscribe, then `await q.close()`, which settles once every
 * message taken ahead of printing is back in the queue. A message is printed before the next
 * one is taken from the subscription, and stdout to a file or pipe is synchronous on Linux:
 * nothing is lost between the kernel and the screen.
 */
export async function tail(t: Target, o: TailOptions, out: Out): Promise<number> {
  const q = openQueue(t);
  let printed = 0;
  let failure: unknown;
  // Printed, but stdout has not yet said the write went through: if it fails (the reader of
  // a pipe quit), these go back into the queue rather than being lost.
  const unconfirmed = new Set<Message>();
  await runUntilStopped((stop) =>
    messages(q, { type: o.type, except: o.except, batch: 16 }).subscribe({
      next: (m: Message) => {
        unconfirmed.add(m);
        out(formatMessage(m, o.format), (err) => {
          if (!err) unconfirmed.delete(m);
        });
        printed++;
        if (printed >= o.count) stop();
      },
      error: (e: unknown) => {
        failure = e;
        stop();
      },
    }),
  );
  await flushed();
  for (const m of unconfirmed) {
    printed--;
    await q.send(m.type, m.data);
  }
  await q.close();
  if (failure !== undefined) throw failure;
  return printed;
}
