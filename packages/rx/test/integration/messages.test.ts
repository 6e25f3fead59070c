// messages(queue, selector): kernel-filtered subscriptions, prompt teardown, nothing taken
// that belongs to someone else.
import { setMaxListeners } from 'node:events';
import { promises as fsp } from 'node:fs';

import type { Message } from '@rxipc/core';
import { native, tasks } from '@rxipc/native';
import { messages } from '@rxipc/rx';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  drain,
  median,
  msgPeer,
  runChild,
  shortWaiterIdle,
  sleep,
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
    const got = await lastValueFrom(messages(q).pipe(take(3), toArray()));
    expect(got.map((m) => m.data.toString())).toEqual(['0', '1', '2']);
    await noTasks();
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
    await waitUntil(() => native.waiterStats().threads === 0, 'idle waiter threads to exit');
    const baseline = threadCount();
    const qs = Array.from({ length: 4 }, () => queues.create());
    const subs = Array.from({ length: 64 }, (_, i) => messages(qs[i % 4]!, { type: 1 + (i % 16) }).subscribe());
    await waitUntil(() => native.waiterStats().threads >= 64, '64 waiter threads');

    const start = performance.now();
    const ac = new AbortController();
    setMaxListeners(20, ac.signal);
    const reads = await Promise.all(Array.from({ length: 8 }, () => fsp.readFile(new URL(import.meta.url), { signal: ac.signal })));
    expect(performance.now() - start).toBeLessThan(1000);
    expect(reads).toHaveLength(8);

    for (const s of subs) s.unsubscribe();
    await noTasks();
    await waitUntil(() => native.waiterStats().threads === 0, 'the waiter threads to exit');
    await waitUntil(() => threadCount() === baseline, `the thread count to return to ${baseline}`);
  });
});
