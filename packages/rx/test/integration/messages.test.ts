// messages(queue, selector): kernel-filtered subscriptions, prompt teardown, nothing taken
// that belongs to someone else.
import { setMaxListeners } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { promises as fsp } from 'node:fs';

import type { Message } from '@rxipc/core';
import { queueInternals } from '@rxipc/core/internal';
import { native, tasks } from '@rxipc/native';
import { messages } from '@rxipc/rx';
import { firstValueFrom, lastValueFrom, take, tap, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import {
  drain,
  median,
  msgPeer,
  runChild,
  shortWaiterIdle,
  sleep,
  startChild,
  threadCount,
  useQueues,
  waitUntil,
} from '../../../../test/support/ipc.js';

const queues = useQueues();
let restoreIdle: () => void;
beforeAll(() => {
  restoreIdle = shortWaiterIdle(20);
});
afterAll(() => restoreIdle());

const summary = (ms: Message[]) => ms.map((m) => `${m.type}:${m.data.toString()}`);
const noTasks = () => waitUntil(() => tasks.pending === 0, 'every receiver to end');

describe('messages()', () => {
  it('type 3 gets only type 3; a type-4 message stays in the queue for someone else', async () => {
    const q = queues.create();
    for (const [t, d] of [[3, 'a'], [4, 'x'], [3, 'b'], [3, 'c']] as const) q.trySend(t, d);
    const got = await lastValueFrom(messages(q, { type: 3 }).pipe(take(3), toArray()));
    expect(summary(got)).toEqual(['3:a', '3:b', '3:c']);
    await noTasks();
    expect(summary(drain(q))).toEqual(['4:x']);
  });

  it('a waiting type-3 subscription leaves type-4 messages that arrive meanwhile to another process', async () => {
    const q = queues.create();
    const got: Message[] = [];
    const sub = messages(q, { type: 3 }).subscribe((m) => got.push(m));
    try {
      await sleep(10);
      await runChild(msgPeer(), ['send', String(q.id)], { input: '4 7878\n3 6161\n4 7979\n' });
      await waitUntil(() => got.length === 1, 'the type-3 message');
      const other = await runChild(msgPeer(), ['recv', String(q.id), '2', '4']);
      expect(other.stdout).toBe('4 7878\n4 7979\n');
      expect(summary(got)).toEqual(['3:aa']);
    } finally {
      sub.unsubscribe();
    }
  });

  it('a negative type takes the lowest type <= |type| first', async () => {
    const q = queues.create();
    for (const t of [5, 2, 9, 1, 3, 2]) q.trySend(t, `t${t}`);
    const got = await lastValueFrom(messages(q, { type: -3 }).pipe(take(4), toArray()));
    expect(got.map((m) => m.type)).toEqual([1, 2, 2, 3]);
    await noTasks();
    expect(drain(q).map((m) => m.type)).toEqual([5, 9]);
  });

  it('except takes every type but the one given', async () => {
    const q = queues.create();
    for (const t of [5, 2, 5, 1, 5]) q.trySend(t, `t${t}`);
    const got = await lastValueFrom(messages(q, { type: 5, except: true }).pipe(take(2), toArray()));
    expect(got.map((m) => m.type)).toEqual([2, 1]);
    await noTasks();
    expect(drain(q).map((m) => m.type)).toEqual([5, 5, 5]);
  });

  it('validates eagerly, at creation', () => {
    const q = queues.create();
    expect(() => messages(q, { type: 1.5 })).toThrow(RangeError);
    expect(() => messages(q, { type: -1, except: true })).toThrow(TypeError);
  });

  it('validates batch and unref eagerly, at creation, in one voice', () => {
    const q = queues.create();
    for (const batch of [0, 65537, 1.5, -1, NaN]) {
      expect(() => messages(q, { batch }), `batch ${batch}`).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    }
    expect(() => messages(q, { batch: '16' as unknown as number })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => messages(q, { unref: 1 as unknown as boolean })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => messages(q, null as unknown as object)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => messages(q, { batch: 1 })).not.toThrow();
    expect(() => messages(q, { batch: 65536, unref: true })).not.toThrow();
  });

  it('a blocked subscriber stops the draining: at most 2 x batch messages leave the kernel ahead of delivery', async () => {
    const q = queues.create();
    const N = 1000;
    const batch = 8;
    for (let i = 0; i < N; i++) expect(q.trySend(1, String(i))).toBe(true);
    let delivered = 0;
    let worstAhead = 0;
    let qnumWhileBlocked = N;
    const got = await lastValueFrom(
      messages(q, { batch }).pipe(
        tap(() => {
          if (delivered === 0) {
            // Hold the first delivery (and the event loop) while the waiter thread runs on.
            const start = performance.now();
            while (performance.now() - start < 100 && q.stat().qnum >= N - 2 * batch);
            qnumWhileBlocked = q.stat().qnum;
          }
          // Taken out of the kernel but not yet handed over, counting this one as handed over
          // only once its delivery is complete (credit comes back after the loop).
          worstAhead = Math.max(worstAhead, N - q.stat().qnum - delivered);
          delivered++;
        }),
        take(N),
        toArray(),
      ),
    );
    expect(qnumWhileBlocked).toBeGreaterThanOrEqual(N - 2 * batch);
    expect(worstAhead).toBeLessThanOrEqual(2 * batch);
    expect(got.map((m) => m.data.toString())).toEqual(Array.from({ length: N }, (_, i) => String(i)));
  });

  it('a slow subscriber while a C process sends: no delivery is larger than 2 x batch, nothing is lost', async () => {
    const q = queues.create();
    const N = 20_000;
    const batch = 16;
    const sender = startChild(msgPeer(), ['seq', String(q.id), '1', String(N), '1000', '0']);
    // Each delivery is one synchronous run of next() calls: a microtask ends it.
    const runs: number[] = [];
    let run = 0;
    let expected = 0;
    let outOfOrder = 0;
    await lastValueFrom(
      messages(q, { batch }).pipe(
        tap((m) => {
          if (run === 0) {
            queueMicrotask(() => {
              runs.push(run);
              run = 0;
            });
          }
          run++;
          if (m.data.toString() !== String(expected++)) outOfOrder++;
          const start = process.hrtime.bigint();
          while (process.hrtime.bigint() - start < 5_000n); // a slow consumer: 5 µs a message
        }),
        take(N),
      ),
    );
    const r = await sender.done;
    expect(r.code, r.stderr).toBe(0);
    expect(outOfOrder).toBe(0);
    expect(runs.reduce((a, b) => a + b, 0)).toBe(N);
    expect(Math.max(...runs)).toBeLessThanOrEqual(2 * batch);
  });

  describe('latency mode (spin)', () => {
    it('validates spin eagerly, in one voice, for messages(), receive() and createReadStream()', async () => {
      const q = queues.create();
      for (const spin of [-1, 10001, 1.5, NaN]) {
        const range = expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
        expect(() => messages(q, { spin }), `spin ${spin}`).toThrow(range);
        expect(() => q.createReadStream({ spin }), `spin ${spin}`).toThrow(range);
        await expect(q.receive({ spin }), `spin ${spin}`).rejects.toThrow(range);
      }
      expect(() => messages(q, { spin: '5' as unknown as number })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
      expect(() => messages(q, { spin: 0 })).not.toThrow();
      expect(() => messages(q, { spin: 10000 })).not.toThrow();
    });

    it('a spinning subscriber takes every message, in order, as they trickle in', async () => {
      const q = queues.create();
      const N = 200;
      const got = lastValueFrom(messages(q, { spin: 2000 }).pipe(take(N), toArray()));
      for (let i = 0; i < N; i++) {
        q.trySend(1, String(i));
        if (i % 10 === 0) await sleep(1);
      }
      expect((await got).map((m) => m.data.toString())).toEqual(Array.from({ length: N }, (_, i) => String(i)));
    });

    it('spins only for its window after each message: an idle spinning subscriber uses no CPU', async () => {
      const q = queues.create();
      const seen: string[] = [];
      const sub = messages(q, { spin: 10000 }).subscribe((m) => seen.push(m.data.toString()));
      q.trySend(1, 'wake');
      await waitUntil(() => seen.length === 1, 'the message');
      await sleep(50); // the 10 ms window after it is over
      const before = process.cpuUsage();
      await sleep(300);
      const used = process.cpuUsage(before);
      // A receiver that kept polling would burn ~300 ms of CPU here; a blocked one ~0.
      expect((used.user + used.system) / 1000).toBeLessThan(60);
      sub.unsubscribe();
      await noTasks();
    });

    it('unsubscribing while it spins ends the wait promptly and takes nothing more', async () => {
      const q = queues.create();
      for (let i = 0; i < 10; i++) {
        let n = 0;
        const sub = messages(q, { spin: 10000 }).subscribe(() => n++);
        q.trySend(1, 'one');
        await waitUntil(() => n === 1, 'the message');
        const start = performance.now();
        sub.unsubscribe(); // the thread is inside its 10 ms window now
        await noTasks();
        expect(performance.now() - start).toBeLessThan(50);
        q.trySend(1, 'later');
        await sleep(2);
        expect(n).toBe(1);
        expect(drain(q).map((m) => m.data.toString())).toEqual(['later']);
      }
    });
  });

  it('transferring one message`s buffer to another thread leaves the data of the others intact', async () => {
    const q = queues.create();
    for (let i = 0; i < 4; i++) q.trySend(1, `m${i}`);
    const got = await lastValueFrom(messages(q).pipe(take(4), toArray()));
    const { port1, port2 } = new MessageChannel();
    try {
      // Small deliveries share a pool: a transfer must not detach it under the other messages.
      port1.postMessage(got[0]!.data, [got[0]!.data.buffer as ArrayBuffer]);
      expect(got.map((m) => m.data.toString())).toEqual(['m0', 'm1', 'm2', 'm3']);
      q.trySend(1, 'after');
      expect((await firstValueFrom(messages(q))).data.toString()).toBe('after');
    } finally {
      port1.close();
      port2.close();
    }
  });

  it('is cold: nothing is taken until someone subscribes', async () => {
    const q = queues.create();
    q.trySend(1, 'x');
    const m$ = messages(q);
    await sleep(20);
    expect(q.stat().qnum).toBe(1);
    expect((await firstValueFrom(m$)).data.toString()).toBe('x');
  });

  it('unsubscribe cancels the wait promptly (median < 5 ms) and later messages stay in the queue', async () => {
    const q = queues.create();
    const latencies: number[] = [];
    let nexts = 0;
    for (let i = 0; i < 20; i++) {
      const sub = messages(q, { type: 1 }).subscribe(() => nexts++);
      await sleep(3);
      expect(tasks.pending).toBe(1);
      const start = performance.now();
      sub.unsubscribe();
      await waitUntil(() => tasks.pending === 0, 'the receiver to end', 1000);
      latencies.push(performance.now() - start);
    }
    expect(median(latencies)).toBeLessThan(5);
    expect(Math.max(...latencies)).toBeLessThan(50);
    for (let i = 0; i < 5; i++) q.trySend(1, `later${i}`);
    await sleep(20);
    expect(nexts).toBe(0);
    expect(q.stat().qnum).toBe(5);
  });

  it('unsubscribing inside next puts the rest of the batch back (at the back of the queue)', async () => {
    const q = queues.create();
    for (let i = 0; i < 10; i++) q.trySend(1, String(i));
    const putBack = vi.spyOn(queueInternals(q).backlog, 'add');
    const got = await lastValueFrom(messages(q).pipe(take(3), toArray()));
    expect(got.map((m) => m.data.toString())).toEqual(['0', '1', '2']);
    await noTasks();
    // Taken in one batch, so the rest really went back (rather than never leaving the kernel).
    expect(putBack.mock.calls.flatMap(([ms]) => ms.map((m: Message) => m.data.toString()))).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    expect(drain(q).map((m) => m.data.toString()).sort()).toEqual(['3', '4', '5', '6', '7', '8', '9']);
  });

  it('errors with EIDRM when the queue is removed', async () => {
    const q = queues.create();
    const done = new Promise<unknown>((resolve) => messages(q).subscribe({ error: resolve, complete: () => resolve('completed') }));
    await sleep(10);
    await runChild('ipcrm', ['-q', String(q.id)]);
    expect(await done).toMatchObject({ code: 'EIDRM' });
  });

  it('completes when the queue is closed', async () => {
    const q = queues.create();
    const done = new Promise<unknown>((resolve) => messages(q).subscribe({ error: resolve, complete: () => resolve('completed') }));
    await sleep(5);
    q.close();
    expect(await done).toBe('completed');
  });

  it('64 waiting subscriptions leave the libuv pool free; unsubscribed, their threads are gone', async () => {
    await fsp.readFile(new URL(import.meta.url)); // the pool's threads exist before the count
    await waitUntil(() => native.testing.waiterStats().threads === 0, 'idle waiter threads to exit');
    const baseline = threadCount();
    const qs = Array.from({ length: 4 }, () => queues.create());
    const subs = Array.from({ length: 64 }, (_, i) => messages(qs[i % 4]!, { type: 1 + (i % 16) }).subscribe());
    await waitUntil(() => native.testing.waiterStats().threads >= 64, '64 waiter threads');

    const start = performance.now();
    const ac = new AbortController();
    setMaxListeners(20, ac.signal);
    const reads = await Promise.all(Array.from({ length: 8 }, () => fsp.readFile(new URL(import.meta.url), { signal: ac.signal })));
    expect(performance.now() - start).toBeLessThan(1000);
    expect(reads).toHaveLength(8);

    for (const s of subs) s.unsubscribe();
    await noTasks();
    await waitUntil(() => native.testing.waiterStats().threads === 0, 'the waiter threads to exit');
    await waitUntil(() => threadCount() === baseline, `the thread count to return to ${baseline}`);
  });
});
