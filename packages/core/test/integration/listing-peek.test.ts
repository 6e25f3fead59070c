// MessageQueue.list / SharedMemory.list / SemaphoreSet.list (the *_STAT_ANY listings) and
// q.peek (msgrcv MSG_COPY) against the real kernel.
import { IPC_PRIVATE, MessageQueue, SemaphoreSet, SharedMemory } from '@rxipc/core';
import { afterEach, describe, expect, it } from 'vitest';

import { useQueues } from '../../../../test/support/ipc.js';
import { useSemaphores } from '../../../../test/support/sem.js';

const queues = useQueues();
const sems = useSemaphores();
const segments: SharedMemory[] = [];
afterEach(() => {
  for (const s of segments.splice(0)) {
    try {
      s.remove();
    } catch {
      /* removed by the test */
    }
  }
});

describe('MessageQueue#peek (MSG_COPY)', () => {
  it('copies the message at each index in queue order and leaves the queue as it was', async () => {
    const q = queues.create();
    await q.send(3, 'a');
    await q.send(1, 'bb');
    await q.send(7, 'ccc');
    const seen = [0, 1, 2, 3].map((i) => q.peek(i));
    expect(seen.map((m) => m && `${m.type}:${m.data.toString()}`)).toEqual(['3:a', '1:bb', '7:ccc', undefined]);
    expect(q.peek()).toEqual({ type: 3, data: Buffer.from('a') });
    expect(q.stat().qnum).toBe(3);
    expect(q.tryReceive()?.data.toString()).toBe('a');
  });

  it('is undefined on an empty queue, and validates the index', () => {
    const q = queues.create();
    expect(q.peek(0)).toBeUndefined();
    expect(() => q.peek(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => q.peek(1.5 as number)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('listings', () => {
  it('MessageQueue.list shows a queue with its figures', async () => {
    const q = queues.create({ mode: 0o640 });
    await q.send(2, 'hello');
    const row = MessageQueue.list().find((r) => r.id === q.id);
    expect(row).toBeDefined();
    expect(row!.perm.key).toBe(0);
    expect(row!.perm.mode & 0o777).toBe(0o640);
    expect(row!.perm.uid).toBe(process.getuid!());
    expect(row!.qnum).toBe(1);
    expect(row!.cbytes).toBe(5);
    expect(row!.lspid).toBe(process.pid);
  });

  it('SharedMemory.list shows a segment, and its removal mark', () => {
    const shm = SharedMemory.open(IPC_PRIVATE, { size: 1000, create: true });
    segments.push(shm);
    const row = SharedMemory.list().find((r) => r.id === shm.id);
    expect(row).toMatchObject({ id: shm.id, size: 1000, nattch: 1, cpid: process.pid, removed: false });
    shm.remove(); // still attached here: marked for removal
    const gone = SharedMemory.list().find((r) => r.id === shm.id);
    if (gone) expect(gone.removed).toBe(true);
  });

  it('SemaphoreSet.list shows a set with each value', () => {
    const s = sems.create({ count: 3, initial: [1, 0, 5] });
    const row = SemaphoreSet.list().find((r) => r.id === s.id);
    expect(row?.nsems).toBe(3);
    expect(row?.semaphores?.map((x) => x.value)).toEqual([1, 0, 5]);
    expect(row?.semaphores?.every((x) => x.ncnt === 0 && x.zcnt === 0)).toBe(true);
  });
});
