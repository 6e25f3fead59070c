// Removal (IPC_RMID) by anyone: waiting calls wake with EIDRM, and afterwards every
// operation fails with EIDRM.
import { MessageQueue } from '@rxipc/core';
import { describe, expect, it } from 'vitest';

import { isPending, queueExists, runChild, sleep, startNodeFixture, useQueues } from '../../../../test/support/ipc.js';

const queues = useQueues();

/** A queue with a blocked receiver (of a type nobody sends) and a blocked sender (queue full). */
async function blockedBoth(q: MessageQueue) {
  q.set({ maxBytes: 16 });
  expect(q.trySend(1, Buffer.alloc(16))).toBe(true);
  const receiving = q.receive({ type: 99 });
  const sending = q.send(2, 'waits');
  receiving.catch(() => {});
  sending.catch(() => {});
  await sleep(20);
  expect(await isPending(receiving)).toBe(true);
  expect(await isPending(sending)).toBe(true);
  return { receiving, sending };
}

async function settlesWithin<T>(p: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown; ms: number }> {
  const start = performance.now();
  const timeout = sleep(ms).then(() => {
    throw new Error(`not settled within ${ms} ms`);
  });
  try {
    const value = await Promise.race([p, timeout]);
    return { value, ms: performance.now() - start };
  } catch (error) {
    if ((error as Error).message?.startsWith('not settled')) throw error;
    return { error, ms: performance.now() - start };
  }
}

describe('removal by another process', () => {
  it('`ipcrm -q ID` wakes a blocked receiver and a blocked sender with EIDRM within 1 s', async () => {
    const q = queues.create();
    const { receiving, sending } = await blockedBoth(q);
    const removed = new Promise<void>((r) => q.once('removed', r));
    await runChild('ipcrm', ['-q', String(q.id)]);
    const [r, s] = await Promise.all([settlesWithin(receiving, 1000), settlesWithin(sending, 1000)]);
    expect(r.error).toMatchObject({ code: 'EIDRM', errno: 43, syscall: 'msgrcv' });
    expect(s.error).toMatchObject({ code: 'EIDRM', errno: 43, syscall: 'msgsnd' });
    await removed;
  });

  it('a node child removing the queue (msgctl IPC_RMID) wakes them the same way', async () => {
    const q = queues.create();
    const { receiving, sending } = await blockedBoth(q);
    const child = await startNodeFixture('msg-child.mjs', ['remove', q.id]).done;
    expect(child.code, child.stderr).toBe(0);
    const [r, s] = await Promise.all([settlesWithin(receiving, 1000), settlesWithin(sending, 1000)]);
    expect(r.error).toMatchObject({ code: 'EIDRM' });
    expect(s.error).toMatchObject({ code: 'EIDRM' });
    expect(queueExists(q.id)).toBe(false);
  });

  it('removal by this process wakes a receiver blocked in another process with EIDRM', async () => {
    const q = queues.create();
    const child = startNodeFixture('msg-child.mjs', ['wait-receive', q.id, 5]);
    await child.line('waiting');
    await sleep(30); // let it reach msgrcv
    q.remove();
    const r = await child.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['waiting', 'EIDRM']);
  });

  it('after removal every operation fails with EIDRM', async () => {
    const q = queues.create();
    q.trySend(1, 'x');
    await runChild('ipcrm', ['-q', String(q.id)]);
    const eidrm = expect.objectContaining({ code: 'EIDRM', errno: 43 });
    expect(() => q.trySend(1, 'y')).toThrow(eidrm);
    await expect(q.send(1, 'y')).rejects.toEqual(eidrm);
    expect(() => q.tryReceive()).toThrow(eidrm);
    await expect(q.receive()).rejects.toEqual(eidrm);
    await expect(q.receive({ timeout: 10 })).rejects.toEqual(eidrm);
    expect(() => q.stat()).toThrow(eidrm);
    expect(() => q.set({ maxBytes: 10 })).toThrow(eidrm);
    expect(() => q.remove()).toThrow(eidrm);
    // The syscall still names the call that failed.
    expect(() => q.tryReceive()).toThrow(expect.objectContaining({ syscall: 'msgrcv' }));
    expect(() => q.stat()).toThrow(expect.objectContaining({ syscall: 'msgctl' }));
  });

  it("remove() removes for everyone: another object's operations fail with EIDRM", async () => {
    const q = queues.create();
    const other = MessageQueue.fromId(q.id);
    const events: string[] = [];
    q.on('removed', () => events.push('removed'));
    q.on('close', () => events.push('close'));
    try {
      q.remove();
      expect(events).toEqual(['removed', 'close']);
      expect(q.closed).toBe(true);
      expect(() => q.stat()).toThrow(expect.objectContaining({ code: 'ERR_RXIPC_CLOSED' }));
      expect(() => other.trySend(1, 'x')).toThrow(expect.objectContaining({ code: 'EIDRM' }));
      await expect(other.receive()).rejects.toMatchObject({ code: 'EIDRM' });
    } finally {
      other.close();
    }
  });

  it('a read stream ends with the EIDRM error', async () => {
    const q = queues.create();
    q.trySend(1, 'first');
    const stream = q.createReadStream();
    const got: string[] = [];
    const failed = new Promise<unknown>((resolve) => stream.on('error', resolve));
    stream.on('data', (m: { data: Buffer }) => got.push(m.data.toString()));
    await sleep(20);
    await runChild('ipcrm', ['-q', String(q.id)]);
    const err = await settlesWithin(failed, 1000);
    expect(err.value).toMatchObject({ code: 'EIDRM' });
    expect(stream.destroyed).toBe(true);
    expect(got).toEqual(['first']);
  });

  it("the same object's remove() ends its own waits with EIDRM, not as a plain close", async () => {
    const q = queues.create();
    const stream = q.createReadStream({ type: 7 });
    const streamFailed = new Promise<unknown>((resolve) => stream.on('error', resolve));
    stream.resume();
    const receiving = q.receive({ type: 8 });
    receiving.catch(() => {});
    await sleep(20);
    q.remove();
    expect((await settlesWithin(streamFailed, 1000)).value).toMatchObject({ code: 'EIDRM', syscall: 'msgrcv' });
    expect((await settlesWithin(receiving, 1000)).error).toMatchObject({ code: 'EIDRM', syscall: 'msgrcv' });
  });

  it("the same object's remove() ends a send waiting on a thread and one queued behind it with EIDRM (msgsnd)", async () => {
    const q = queues.create();
    q.set({ maxBytes: 16 });
    expect(q.trySend(1, Buffer.alloc(16))).toBe(true);
    const onThread = q.send(2, 'waits on a waiter thread');
    const queued = q.send(3, 'queued behind it');
    onThread.catch(() => {});
    queued.catch(() => {});
    await sleep(20);
    expect(await isPending(onThread)).toBe(true);
    expect(await isPending(queued)).toBe(true);
    q.remove();
    const [a, b] = [await settlesWithin(onThread, 1000), await settlesWithin(queued, 1000)];
    // Not ERR_RXIPC_CLOSED: the queue is gone, and a waiting msgsnd in any process says EIDRM.
    expect(a.error, 'the send on the thread').toMatchObject({ code: 'EIDRM', errno: 43, syscall: 'msgsnd' });
    expect(b.error, 'the queued send').toMatchObject({ code: 'EIDRM', errno: 43, syscall: 'msgsnd' });
    expect(queueExists(q.id)).toBe(false);
  });
});
