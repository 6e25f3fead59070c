// sendTo(queue, { type }): sends each value in order, re-emits it once it is in the queue,
// and waits (without blocking the event loop) while the queue is full.
import { tasks } from '@rxipc/native';
import { messages, sendTo } from '@rxipc/rx';
import { from, interval, lastValueFrom, map, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { drain, msgPeer, parsePeerLines, runChild, sleep, startChild, useQueues, waitUntil } from '../../../../test/support/ipc.js';

const queues = useQueues();
const values = (n: number) => Array.from({ length: n }, (_, i) => String(i).padStart(10, '.'));

describe('sendTo()', () => {
  it('sends every value as one message of its type and re-emits it, in order', async () => {
    const q = queues.create();
    const emitted = await lastValueFrom(from(values(20)).pipe(sendTo(q, { type: 4 }), toArray()));
    expect(emitted).toEqual(values(20));
    expect(drain(q).map((m) => [m.type, m.data.toString()])).toEqual(values(20).map((v) => [4, v]));
  });

  it('waits while the queue is full and goes on, in order, as a receiver makes room', async () => {
    const q = queues.create();
    q.set({ maxBytes: 50 }); // five 10-byte messages
    const emitted: string[] = [];
    let completed = false;
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const sub = from(values(40))
      .pipe(sendTo(q, { type: 1 }))
      .subscribe({ next: (v) => emitted.push(v), complete: () => (completed = true) });
    try {
      await sleep(50);
      expect(emitted).toEqual(values(5));
      expect(completed).toBe(false);
      expect(ticks).toBeGreaterThanOrEqual(3); // the event loop was free meanwhile
      expect(q.stat().qnum).toBe(5);
      const received: string[] = [];
      while (received.length < 40) received.push((await q.receive({ timeout: 2000 })).data.toString());
      await sleep(5);
      expect(received).toEqual(values(40));
      expect(emitted).toEqual(values(40));
      expect(completed).toBe(true);
    } finally {
      clearInterval(ticker);
      sub.unsubscribe();
    }
  });

  it('unsubscribing gives up a send still waiting for room: it is never sent and no task is left', async () => {
    const q = queues.create();
    q.set({ maxBytes: 10 });
    expect(q.trySend(1, values(1)[0]!)).toBe(true); // full
    const emitted: string[] = [];
    const sub = from(['waits.....']).pipe(sendTo(q, { type: 2 })).subscribe((v) => emitted.push(v));
    await sleep(20);
    expect(tasks.pending).toBe(1); // the waiting send
    sub.unsubscribe();
    await waitUntil(() => tasks.pending === 0, 'the waiting send to be cancelled');
    expect(q.tryReceive()?.type).toBe(1); // room now
    await sleep(30);
    expect(q.stat().qnum).toBe(0);
    expect(emitted).toEqual([]);
  });

  it('an asynchronous source into a C receiver: everything arrives, in order', async () => {
    const q = queues.create();
    q.set({ maxBytes: 64 });
    const peer = startChild(msgPeer(), ['recv', String(q.id), '50']);
    const emitted = await lastValueFrom(
      interval(0).pipe(
        take(50),
        map((i) => `v${i}`),
        sendTo(q, { type: 2 ** 40 + 3 }),
        toArray(),
      ),
    );
    const r = await peer.done;
    expect(r.code, r.stderr).toBe(0);
    expect(emitted).toHaveLength(50);
    expect(parsePeerLines(r.stdout).map((m) => [m.type, m.data.toString()])).toEqual(emitted.map((v) => [2 ** 40 + 3, v]));
  });

  it('pipes one queue into another', async () => {
    const a = queues.create();
    const b = queues.create();
    for (const v of values(10)) a.trySend(3, v);
    const moved = await lastValueFrom(
      messages(a, { type: 3 }).pipe(
        take(10),
        map((m) => m.data),
        sendTo(b, { type: 9 }),
        toArray(),
      ),
    );
    expect(moved).toHaveLength(10);
    expect(drain(b).map((m) => [m.type, m.data.toString()])).toEqual(values(10).map((v) => [9, v]));
  });

  it('rejects a bad type eagerly and a bad value as an error, sending nothing for it', async () => {
    const q = queues.create();
    expect(() => sendTo(q, { type: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => sendTo(q, { type: 2 ** 53 })).toThrow(RangeError);
    const emitted: unknown[] = [];
    const err = await new Promise((resolve) =>
      from(['ok', 42 as unknown as string, 'never'])
        .pipe(sendTo(q, { type: 1 }))
        .subscribe({ next: (v) => emitted.push(v), error: resolve }),
    );
    expect(err).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(emitted).toEqual(['ok']);
    expect(drain(q).map((m) => m.data.toString())).toEqual(['ok']);
    const tooBig = await new Promise((resolve) =>
      from([Buffer.alloc(q.maxMessageSize + 1)]).pipe(sendTo(q, { type: 1 })).subscribe({ error: resolve }),
    );
    expect(tooBig).toBeInstanceOf(RangeError);
    expect(q.stat().qnum).toBe(0);
  });

  it('validates its options eagerly: missing options or type is a clear TypeError', () => {
    const q = queues.create();
    const typeError = expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    expect(() => (sendTo as (q: unknown) => unknown)(q)).toThrow(typeError);
    expect(() => (sendTo as (q: unknown) => unknown)(q)).toThrow(/"options" argument must be of type object/);
    expect(() => sendTo(q, null as unknown as { type: number })).toThrow(typeError);
    expect(() => sendTo(q, {} as { type: number })).toThrow(/"options.type" argument must be of type number/);
    expect(() => sendTo(q, { type: '1' as unknown as number })).toThrow(typeError);
    expect(() => sendTo(q, { type: 1.5 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
  });

  it('errors with EIDRM when the queue is removed while a value waits', async () => {
    const q = queues.create();
    q.set({ maxBytes: 10 });
    const err = new Promise((resolve) => from(values(3)).pipe(sendTo(q, { type: 1 })).subscribe({ error: resolve }));
    await sleep(20);
    expect(q.stat().qnum).toBe(1);
    await runChild('ipcrm', ['-q', String(q.id)]);
    expect(await err).toMatchObject({ code: 'EIDRM' });
  });
});
