// msg-daemon: the TypeScript port and the C original (examples/msg-daemon/msg_daemon.c,
// compiled here with cc) understand each other on the same key, in both directions.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { isSystemError, MessageQueue } from '@rxipc/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testRunId } from '../../test/support/tmp.js';

import { program, run } from './helpers.js';

const ts = program('msg-daemon');
const source = fileURLToPath(new URL('../msg-daemon/msg_daemon.c', import.meta.url));
let dir: string;
let c: string; // the compiled C daemon
const keys: number[] = []; // every key a test used: their queues are removed afterwards

/** A key with no queue yet (checked: msgget without IPC_CREAT says ENOENT). The C takes an int. */
function freshKey(): number {
  for (;;) {
    const key = 0x10000000 + Math.floor(Math.random() * 0x6fffffff);
    try {
      MessageQueue.open(key).close();
    } catch (err) {
      if (!isSystemError(err, 'ENOENT')) throw err;
      keys.push(key);
      return key;
    }
  }
}

/** The lines a daemon prints: "sent :TEXT\n\n" (ctime ends in \n) -> TEXT. */
const textOf = (out: string, prefix: 'sent :' | 'recv : ') => {
  expect(out.startsWith(prefix)).toBe(true);
  return out.slice(prefix.length);
};
const CTIME_TEXT = /^a message at (Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}\n\n$/;
const NONE = 'No message available for msgrcv()\n';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), `rxipc-${testRunId}-msg-daemon-`));
  c = join(dir, 'msg_daemon');
  execFileSync('cc', ['-o', c, source], { stdio: 'pipe' });
});

afterAll(() => {
  for (const key of keys) {
    try {
      MessageQueue.open(key).remove(); // the daemons never remove their queue
    } catch (err) {
      if (!isSystemError(err, 'ENOENT')) throw err;
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the C daemon (synchronously: it never waits). */
function runC(args: string[]): { code: number; stdout: string } {
  try {
    return { code: 0, stdout: execFileSync(c, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    return { code: e.status, stdout: e.stdout };
  }
}

describe('msg-daemon', () => {
  it('C sends, TypeScript receives the same text', async () => {
    const key = String(freshKey());
    const sent = runC(['-s', '-t', '5', '-k', key]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^sent :/);
    const recv = await run(ts, ['-r', '-t', '5', '-k', key]);
    expect(recv.code).toBe(0);
    expect(textOf(recv.stdout, 'recv : ')).toBe(textOf(sent.stdout, 'sent :'));
    expect(textOf(recv.stdout, 'recv : ')).toMatch(CTIME_TEXT);
  });

  it('TypeScript sends, C receives the same text', async () => {
    const key = String(freshKey());
    const sent = await run(ts, ['-s', '-t', '7', '-k', key]);
    expect(sent.code).toBe(0);
    expect(textOf(sent.stdout, 'sent :')).toMatch(CTIME_TEXT);
    const recv = runC(['-r', '-t', '7', '-k', key]);
    expect(recv.code).toBe(0);
    expect(textOf(recv.stdout, 'recv : ')).toBe(textOf(sent.stdout, 'sent :'));
  });

  it('sends the C layout: 80 bytes, the text, then NUL bytes', async () => {
    const key = freshKey();
    const sent = await run(ts, ['-s', '-k', String(key)]);
    const text = textOf(sent.stdout, 'sent :').slice(0, -1); // console.log's newline
    using queue = MessageQueue.open(key);
    const message = queue.tryReceive({ type: 1 });
    expect(message?.data.length).toBe(80);
    expect(message?.data.toString('utf8', 0, text.length)).toBe(text);
    expect([...message!.data.subarray(text.length)].every((b) => b === 0)).toBe(true);
  });

  it('receives without waiting: "No message available" (exit 0), like the C', async () => {
    const key = String(freshKey());
    const ours = await run(ts, ['-r', '-k', key]);
    expect(ours).toMatchObject({ code: 0, stdout: NONE });
    expect(runC(['-r', '-k', key])).toEqual({ code: 0, stdout: NONE });
  });

  it('selects by type in the kernel: a type-2 message is not a type-3 one', async () => {
    const key = String(freshKey());
    runC(['-s', '-t', '2', '-k', key]);
    expect((await run(ts, ['-r', '-t', '3', '-k', key])).stdout).toBe(NONE);
    expect((await run(ts, ['-r', '-t', '2', '-k', key])).stdout).toMatch(/^recv : a message at /);
  });

  it('never waits: a full queue is "msgsnd error: EAGAIN", exit 1', async () => {
    const key = freshKey();
    await run(ts, ['-s', '-k', String(key)]);
    using queue = MessageQueue.open(key);
    queue.set({ maxBytes: 80 }); // room for exactly the one message already there
    const full = await run(ts, ['-s', '-k', String(key)]);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/^msgsnd error: EAGAIN/);
    expect(queue.stat().qnum).toBe(1);
  });

  it('cuts a longer message to 80 bytes (MSG_NOERROR) instead of failing', async () => {
    const key = freshKey();
    using queue = MessageQueue.open(key, { create: true });
    queue.trySend(9, 'x'.repeat(200));
    const recv = await run(ts, ['-r', '-t', '9', '-k', String(key)]);
    expect(recv).toMatchObject({ code: 0, stdout: `recv : ${'x'.repeat(80)}\n` });
    expect(queue.stat().qnum).toBe(0);
  });

  it('takes the key in decimal or 0x hex', async () => {
    const key = freshKey();
    await run(ts, ['-s', '-k', `0x${key.toString(16)}`]);
    expect((await run(ts, ['-r', '-k', String(key)])).stdout).toMatch(/^recv : /);
  });

  it('creates the queue with mode 0600, or -m MODE', async () => {
    const a = freshKey();
    const b = freshKey();
    await run(ts, ['-r', '-k', String(a)]);
    await run(ts, ['-r', '-k', String(b), '-m', '640']);
    using qa = MessageQueue.open(a);
    using qb = MessageQueue.open(b);
    expect(qa.stat().perm.mode & 0o777).toBe(0o600);
    expect(qb.stat().perm.mode & 0o777).toBe(0o640);
  });

  it.each([
    [[], 'must use either -s or -r option'],
    [['-s', '-r'], 'must use either -s or -r option'],
    [['-x'], "Unknown option '-x'"],
    [['-s', '-t', '0'], '-t option must be an integer greater than 0'],
    [['-s', '-t', 'abc'], '-t option must be an integer greater than 0'],
    [['-s', '-k'], "'-k, --key <value>' argument missing"],
    [['-s', '-k', '0'], '-k option must be a key'],
    [['-s', '-k', '12ab'], '-k option must be a key'],
    [['-s', '-m', '999'], '-m option must be octal'],
    [['-s', 'extra'], "Unexpected argument 'extra'"],
  ])('usage error %j: message, usage text, exit 1, no queue made', async (args, problem) => {
    const key = freshKey();
    const withKey = args.includes('-k') ? args : [...args, '-k', String(key)];
    const { code, stdout, stderr } = await run(ts, withKey);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(problem);
    expect(stderr).toContain('Usage : msg-daemon [options]');
    expect(() => MessageQueue.open(key)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('property: a message of any type from C reaches TypeScript (and only that type)', async () => {
    const key = String(freshKey());
    // The C daemon keeps the type in an int.
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 2 }), async (type) => {
        runC(['-s', '-t', String(type), '-k', key]);
        expect((await run(ts, ['-r', '-t', String(type + 1), '-k', key])).stdout).toBe(NONE);
        const recv = await run(ts, ['-r', '-t', String(type), '-k', key]);
        expect(textOf(recv.stdout, 'recv : ')).toMatch(CTIME_TEXT);
      }),
      { numRuns: 5, examples: [[1], [2 ** 31 - 2]] },
    );
  });
});
