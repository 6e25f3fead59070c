// Cancelling waits (AbortSignal, timeout, close) and the waiter threads behind them:
// prompt, no thread left behind, and never on the libuv pool.
import { setMaxListeners } from 'node:events';
import { promises as fsp } from 'node:fs';

import { native, tasks } from '@rxipc/native';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { drain, median, shortWaiterIdle, sleep, startNodeFixture, threadCount, useQueues, waitUntil } from '../../../../test/support/ipc.js';

const queues = useQueues();
let restoreIdle: () => void;

beforeAll(async () => {
  // Finished waiter threads exit after 20 ms idle instead of 2 s, so "no thread left" is quick to see.
  restoreIdle = shortWaiterIdle(20);
  // Start the process-lifetime threads (libuv pool, the cancel supervisor) before any count.
  await fsp.readFile(new URL(import.meta.url));
  const q = queues.create();
  const ac = new AbortController();
  const p = q.receive({ signal: ac.signal }).catch(() => {});
  await sleep(5);
  ac.abort();
  await p;
  q.remove();
});
afterAll(() => restoreIdle());

/** The promise's outcome, with a handler attached at once (rejections may come before they are awaited). */
const outcome = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => error,
  );

const noWaiters = () => waitUntil(() => native.testing.waiterStats().threads === 0 && tasks.pending === 0, 'the waiter threads to exit');

describe('cancellation', () => {
  it('an aborted receive rejects with AbortError within 5 ms (median of 20)', async () => {
    const q = queues.create();
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const ac = new AbortController();
      const p = q.receive({ type: 1, signal: ac.signal });
      await sleep(3); // let the waiter thread block in msgrcv
      const start = performance.now();
      ac.abort(new Error('stop'));
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      latencies.push(performance.now() - start);
      expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: new Error('stop') });
    }
    expect(median(latencies)).toBeLessThan(5);
    expect(Math.max(...latencies)).toBeLessThan(50);
    expect(q.stat().qnum).toBe(0);
  });

  it('an already aborted signal rejects at once and takes nothing', async () => {
    const q = queues.create();
    q.trySend(1, 'stays');
    await expect(q.receive({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(q.send(1, 'no', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(q.stat().qnum).toBe(1);
  });

  it('a timeout rejects with ETIMEDOUT', async () => {
    const q = queues.create();
    const start = performance.now();
    await expect(q.receive({ timeout: 30 })).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'msgrcv' });
    expect(performance.now() - start).toBeGreaterThanOrEqual(25);
    q.set({ maxBytes: 8 });
    q.trySend(1, Buffer.alloc(8));
    await expect(q.send(1, 'x', { timeout: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'msgsnd' });
    expect(q.stat().qnum).toBe(1);
  });

  it("a send's timeout counts from the call, also while it waits behind earlier sends", async () => {
    const q = queues.create();
    q.set({ maxBytes: 8 });
    q.trySend(1, Buffer.alloc(8));
    const first = outcome(q.send(2, 'a')); // waits for room, without a timeout
    const second = await Promise.race([outcome(q.send(3, 'b', { timeout: 30 })), sleep(1000).then(() => 'still waiting')]);
    expect(second).toMatchObject({ code: 'ETIMEDOUT', syscall: 'msgsnd' });
    const third = outcome(q.send(4, 'c', { timeout: 5000 }));
    q.tryReceive({ type: 1 });
    expect(await first).toEqual({ value: undefined });
    q.tryReceive({ type: 2 });
    expect(await third).toEqual({ value: undefined });
    expect(drain(q).map((m) => m.type)).toEqual([4]); // the timed-out send never went
  });

  it('an aborted waiting send is not sent, and the sends queued behind it go on', async () => {
    const q = queues.create();
    q.set({ maxBytes: 8 });
    q.trySend(1, Buffer.alloc(8));
    const ac = new AbortController();
    const first = outcome(q.send(2, 'a', { signal: ac.signal }));
    const second = outcome(q.send(3, 'b', { signal: ac.signal }));
    const third = q.send(4, 'c');
    await sleep(10);
    ac.abort();
    expect(await first).toMatchObject({ name: 'AbortError' });
    expect(await second).toMatchObject({ name: 'AbortError' });
    q.tryReceive({ type: 1 });
    await third;
    expect(q.tryReceive()).toMatchObject({ type: 4 });
    expect(q.stat().qnum).toBe(0);
  });

  it('close() rejects pending receives and sends with ERR_RXIPC_CLOSED and leaves the queue', async () => {
    const q = queues.create();
    const r1 = q.receive();
    const r2 = outcome(q.receive({ type: 5 }));
    q.set({ maxBytes: 8 });
    await sleep(5);
    q.trySend(9, Buffer.alloc(8)); // r1 takes this one: the queue is empty again
    await expect(r1).resolves.toMatchObject({ type: 9 });
    q.trySend(9, Buffer.alloc(8)); // now full
    const s1 = outcome(q.send(1, 'x'));
    const s2 = outcome(q.send(1, 'y'));
    await sleep(10);
    q.close();
    const closed = expect.objectContaining({ code: 'ERR_RXIPC_CLOSED' });
    expect(await r2).toEqual(closed);
    expect(await s1).toEqual(closed);
    expect(await s2).toEqual(closed);
    expect(() => q.tryReceive()).toThrow(closed);
    await expect(q.receive()).rejects.toEqual(closed);
    expect(native.msgctlStat(q.id).qnum).toBe(1); // still there, nothing more was sent
    q.close(); // idempotent
  });

  it('Symbol.dispose closes', async () => {
    let p: Promise<unknown>;
    {
      using q = queues.create();
      p = q.receive();
      await sleep(5);
    }
    await expect(p).rejects.toMatchObject({ code: 'ERR_RXIPC_CLOSED' });
  });

  it('no waiter thread is left after cancelled waits (/proc/self/task)', async () => {
    await noWaiters();
    const baseline = threadCount();
    const q = queues.create();
    const ac = new AbortController();
    setMaxListeners(100, ac.signal);
    const waits = Array.from({ length: 10 }, (_, i) => q.receive({ type: i + 1, signal: ac.signal }).catch((e: Error) => e));
    await waitUntil(() => native.testing.waiterStats().threads >= 10, '10 waiter threads');
    expect(threadCount()).toBeGreaterThanOrEqual(baseline + 10);
    ac.abort();
    for (const e of await Promise.all(waits)) expect(e).toMatchObject({ name: 'AbortError' });
    await noWaiters();
    await waitUntil(() => threadCount() === baseline, `the thread count to return to ${baseline}`);
  });
});

describe('the libuv pool stays free', () => {
  it('64 blocked receives do not stall fs; cancelled, their threads are gone', async () => {
    await noWaiters();
    const baseline = threadCount();
    const qs = Array.from({ length: 8 }, () => queues.create());
    const ac = new AbortController();
    setMaxListeners(100, ac.signal);
    const waits = Array.from({ length: 64 }, (_, i) => qs[i % 8]!.receive({ signal: ac.signal }).catch((e: Error) => e));
    await waitUntil(() => native.testing.waiterStats().threads >= 64, '64 waiter threads');

    // Eight concurrent reads need the pool's 4 threads: blocked waits there would hang them.
    const start = performance.now();
    const reads = await Promise.all(Array.from({ length: 8 }, () => fsp.readFile(new URL(import.meta.url), 'utf8')));
    expect(performance.now() - start).toBeLessThan(1000);
    expect(reads.every((r) => r.includes('the libuv pool stays free'))).toBe(true);

    ac.abort();
    for (const e of await Promise.all(waits)) expect(e).toMatchObject({ name: 'AbortError' });
    await noWaiters();
    await waitUntil(() => threadCount() === baseline, `the thread count to return to ${baseline}`);
  });
});

describe('keeping the process alive', () => {
  it.each(['stream-unref', 'rx-unref'])('an unref-ed waiting receiver (%s) lets the process exit', async (mode) => {
    const q = queues.create();
    const r = await startNodeFixture('msg-unref.mjs', [q.id, mode], { timeoutMs: 5000 }).done;
    expect(r.stderr).toBe('');
    expect([r.code, r.stdout]).toEqual([0, 'waiting\nexit\n']);
    expect(q.stat().qnum).toBe(0);
  });

  it.each(['receive', 'stream', 'rx'])('a waiting receiver (%s) keeps the process alive until a message comes', async (mode) => {
    const q = queues.create();
    const child = startNodeFixture('msg-unref.mjs', [q.id, mode], { timeoutMs: 5000 });
    await child.line('waiting');
    await sleep(200);
    expect(child.child.exitCode).toBeNull();
    q.trySend(1, 'hello');
    await child.line('got hello');
    if (mode !== 'receive') child.child.kill('SIGTERM'); // streams and subscriptions wait on
    const r = await child.done;
    expect(r.stdout.startsWith('waiting\ngot hello\n')).toBe(true);
    if (mode === 'receive') expect(r.code).toBe(0);
  });
});
