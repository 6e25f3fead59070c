// A timeout that is not a number of ms in 0..2^31-1 is misuse: the call rejects with
// ERR_OUT_OF_RANGE / ERR_INVALID_ARG_TYPE before anything reaches the kernel. Nothing is
// sent, nothing is taken, no wait starts, no fd is opened — also when the call could have
// completed at once (room in the queue, a message queued, a peer already there).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { Fifo, type MessageQueue } from '@rxipc/core';
import { tasks } from '@rxipc/native';

import { countFds, makeTempDir, shortWaiterIdle, type TempDir, warmUpThreads } from '../../../../test/support/fs.js';
import { drain, useQueues } from '../../../../test/support/ipc.js';

const queues = useQueues();

/** Each bad timeout and the code it must be rejected with. */
const BAD: Array<[string, unknown, string]> = [
  ['-1', -1, 'ERR_OUT_OF_RANGE'],
  ['NaN', Number.NaN, 'ERR_OUT_OF_RANGE'],
  ['2^31', 2 ** 31, 'ERR_OUT_OF_RANGE'],
  ['Infinity', Number.POSITIVE_INFINITY, 'ERR_OUT_OF_RANGE'],
  ['-Infinity', Number.NEGATIVE_INFINITY, 'ERR_OUT_OF_RANGE'],
  ["'5'", '5', 'ERR_INVALID_ARG_TYPE'],
  ['null', null, 'ERR_INVALID_ARG_TYPE'],
];

/** The rejection of `p` (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    const value = await p;
    throw new Error(`resolved with ${String(value)}`);
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
}

/** Checks the error's code and class, and that it names the option. */
function expectMisuse(err: Error & Record<string, unknown>, code: string, what: string): void {
  expect(err.code, `${what}: ${err.message}`).toBe(code);
  expect(err, what).toBeInstanceOf(code === 'ERR_INVALID_ARG_TYPE' ? TypeError : RangeError);
  expect(err.message, what).toMatch(/timeout/);
}

const qnum = (q: MessageQueue) => q.stat().qnum;

let restoreIdle: () => void;
beforeAll(async () => {
  restoreIdle = shortWaiterIdle(20);
  await warmUpThreads();
});
afterAll(() => restoreIdle());

describe('MessageQueue: an invalid timeout sends nothing and takes nothing', () => {
  it('send() with room in the queue: rejected, nothing sent', async () => {
    const q = queues.create();
    for (const [name, timeout, code] of BAD) {
      const err = await rejection(q.send(1, `bad ${name}`, { timeout: timeout as number }));
      expectMisuse(err, code, `send, timeout ${name}`);
      expect(qnum(q), `send, timeout ${name}`).toBe(0);
    }
    expect(tasks.pending).toBe(0);
    // The queue still works, and nothing rejected above arrives late.
    await q.send(1, 'good', { timeout: 1000 });
    expect(drain(q).map((m) => m.data.toString())).toEqual(['good']);
  });

  it('send() on a full queue, and behind a waiting send: rejected, no wait started, nothing sent', async () => {
    const q = queues.create();
    q.set({ maxBytes: 16 });
    expect(q.trySend(1, Buffer.alloc(16))).toBe(true);
    for (const [name, timeout, code] of BAD) {
      const err = await rejection(q.send(2, `bad ${name}`, { timeout: timeout as number }));
      expectMisuse(err, code, `full queue, timeout ${name}`);
    }
    expect(tasks.pending).toBe(0);
    // A valid send now waits on a thread; invalid ones behind it never join its line.
    const waiting = q.send(3, 'waits');
    for (const [name, timeout, code] of BAD) {
      const err = await rejection(q.send(4, `bad ${name}`, { timeout: timeout as number }));
      expectMisuse(err, code, `behind a waiting send, timeout ${name}`);
    }
    expect(q.tryReceive()?.data.length).toBe(16); // room: the waiting send goes in
    await waiting;
    await new Promise((r) => setTimeout(r, 20));
    expect(drain(q).map((m) => `${m.type}:${m.data.toString()}`)).toEqual(['3:waits']);
  });

  it('receive() with a message queued: rejected, the message stays', async () => {
    const q = queues.create();
    q.trySend(1, 'stay');
    for (const [name, timeout, code] of BAD) {
      const err = await rejection(q.receive({ timeout: timeout as number }));
      expectMisuse(err, code, `receive, timeout ${name}`);
      expect(qnum(q), `receive, timeout ${name}`).toBe(1);
    }
    expect(drain(q).map((m) => m.data.toString())).toEqual(['stay']);
  });

  it('receive() on an empty queue: rejected at once, no wait started, a later message is not taken', async () => {
    const q = queues.create();
    for (const [name, timeout, code] of BAD) {
      const err = await rejection(q.receive({ timeout: timeout as number }));
      expectMisuse(err, code, `receive (empty), timeout ${name}`);
    }
    expect(tasks.pending).toBe(0);
    q.trySend(1, 'later');
    await new Promise((r) => setTimeout(r, 20));
    expect(qnum(q)).toBe(1);
  });
});

describe('Fifo: an invalid timeout opens nothing and waits for nothing', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = makeTempDir('timeouts');
  });
  afterEach(() => dir.remove());

  it('static and instance openReadable / openWritable, with and without a peer there', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const opens: Array<[string, (timeout: number) => Promise<unknown>]> = [
      ['Fifo.openReadable', (timeout) => Fifo.openReadable(fifo.path, { timeout })],
      ['Fifo.openReadable keepOpen', (timeout) => Fifo.openReadable(fifo.path, { timeout, keepOpen: true })],
      ['Fifo.openWritable', (timeout) => Fifo.openWritable(fifo.path, { timeout })],
      ['fifo.openReadable', (timeout) => fifo.openReadable({ timeout })],
      ['fifo.openReadable keepOpen', (timeout) => fifo.openReadable({ timeout, keepOpen: true })],
      ['fifo.openWritable', (timeout) => fifo.openWritable({ timeout })],
    ];
    const check = async (peer: string) => {
      const fds = countFds();
      for (const [what, open] of opens) {
        for (const [name, timeout, code] of BAD) {
          const err = await rejection(open(timeout as number));
          expectMisuse(err, code, `${what} (${peer}), timeout ${name}`);
        }
      }
      expect(tasks.pending, peer).toBe(0);
      expect(countFds(), peer).toBe(fds);
    };
    await check('no peer');
    // A reader and a writer there: every open would succeed at once if it got that far.
    const reader = await fifo.openReadable({ keepOpen: true });
    const writer = await fifo.openWritable();
    try {
      await check('peers there');
    } finally {
      reader.destroy();
      writer.destroy();
    }
    fifo.close();
  });
});
