// Semaphores against the real kernel: System V sets (IPC_NOWAIT, SETALL/GETALL, SEM_UNDO on
// SIGKILL, waits on waiter threads that cancel, time out and see EIDRM) and POSIX named
// semaphores behind validated handles.
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { native, nativePath, tasks, type SemOp } from '@rxipc/native';

import { sleep, spawnNode, waitUntil } from '../../../../test/support/fs.js';

const C = native.constants;
const PEER = fileURLToPath(new URL('../fixtures/shm-peer.mjs', import.meta.url));
const ECANCELED = 125;
const ETIMEDOUT = 110;
const EIDRM = 43;

let sets: number[] = [];
let sems: number[] = [];
let names: string[] = [];
let nameCounter = 0;

afterEach(() => {
  for (const h of sems.splice(0)) {
    try {
      native.semClose(h);
    } catch {
      /* closed by the test */
    }
  }
  for (const id of sets.splice(0)) {
    try {
      native.semctlRemove(id);
    } catch {
      /* removed by the test */
    }
  }
  for (const n of names.splice(0)) {
    try {
      native.semUnlink(n);
    } catch {
      /* unlinked by the test */
    }
  }
});

function semSet(values: number[]): number {
  const id = native.semget(C.IPC_PRIVATE, values.length, C.IPC_CREAT | 0o600);
  sets.push(id);
  native.semctlSetAll(id, values);
  return id;
}

function semName(): string {
  const n = `/rxipc-test-sem-${process.pid}-${++nameCounter}`;
  names.push(n);
  return n;
}

function openSem(name: string, value: number, flags = C.O_CREAT | C.O_EXCL): number {
  const h = native.semOpen(name, flags, 0o600, value);
  sems.push(h);
  return h;
}

interface Waited {
  id: number;
  done: Promise<{ errno: number; at: number }>;
}

function startTask(start: () => number): Waited {
  let resolve!: (v: { errno: number; at: number }) => void;
  const done = new Promise<{ errno: number; at: number }>((r) => (resolve = r));
  const id = tasks.start(start, (final, errno) => final && resolve({ errno, at: performance.now() }));
  return { id, done };
}

const op = (num: number, delta: number, flags = 0): SemOp => ({ num, op: delta, flags });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('System V semaphores', () => {
  it('SETALL / GETALL / GETVAL / GETPID, and the synchronous semop never waits', () => {
    const id = semSet([2, 0, 7]);
    expect(native.semctlGetAll(id)).toEqual([2, 0, 7]);
    expect(native.semctlStat(id)).toMatchObject({ nsems: 3 });
    expect(native.semop(id, [op(1, -1)])).toBe(false); // would wait: EAGAIN, reported as false
    expect(native.semop(id, [op(0, -2), op(2, 1)])).toBe(true);
    expect(native.semctlGetAll(id)).toEqual([0, 0, 8]);
    expect(native.semctlGet(id, 2, C.GETVAL)).toBe(8);
    expect(native.semctlGet(id, 0, C.GETPID)).toBe(process.pid);
    native.semctlSetVal(id, 1, C.SEMVMX);
    expect(native.semctlGet(id, 1, C.GETVAL)).toBe(32767);
    expect(() => native.semctlSetAll(id, [1, 2])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => native.semop(id, [op(1, 1)])).toThrow(expect.objectContaining({ code: 'ERANGE', syscall: 'semop' }));
  });

  it('several operations apply atomically: all or none', () => {
    const id = semSet([1, 0]);
    expect(native.semop(id, [op(0, -1), op(1, -1)])).toBe(false);
    expect(native.semctlGetAll(id)).toEqual([1, 0]); // the first op was not applied alone
  });

  it('waiting semops show in GETNCNT / GETZCNT and are applied when the value comes', async () => {
    const id = semSet([0]);
    const w = startTask(() => native.semopStart(id, [op(0, -1)]));
    await waitUntil(() => native.semctlGet(id, 0, C.GETNCNT) === 1, { message: 'the waiter to block' });
    native.semop(id, [op(0, 1)]); // the -1 is applied at once: the value stays 0
    await w.done;
    native.semctlSetVal(id, 0, 1);
    const z = startTask(() => native.semopStart(id, [op(0, 0)])); // waits for zero
    await waitUntil(() => native.semctlGet(id, 0, C.GETZCNT) === 1, { message: 'the zero-waiter to block' });
    native.semop(id, [op(0, -1)]);
    expect((await w.done).errno).toBe(0);
    expect((await z.done).errno).toBe(0);
    expect(native.semctlGet(id, 0, C.GETVAL)).toBe(0);
  });

  it('SEM_UNDO: a child killed with SIGKILL gives back what it took', async () => {
    const id = semSet([1]);
    const c = spawnNode(PEER, { args: [nativePath, 'sem-undo', String(id)] });
    expect(await c.line()).toBe('taken');
    expect(native.semctlGet(id, 0, C.GETVAL)).toBe(0);
    c.child.kill('SIGKILL');
    expect((await c.exited).signal).toBe('SIGKILL');
    expect(native.semctlGet(id, 0, C.GETVAL)).toBe(1);
  });

  it('cancel ends a blocked semop within 5 ms (median of 15 trials)', async () => {
    const id = semSet([0]);
    const latencies: number[] = [];
    for (let i = 0; i < 15; i++) {
      const w = startTask(() => native.semopStart(id, [op(0, -1)]));
      await waitUntil(() => native.semctlGet(id, 0, C.GETNCNT) === 1, { message: 'the waiter to block' });
      const t0 = performance.now();
      tasks.cancel(w.id);
      const r = await w.done;
      expect(r.errno).toBe(ECANCELED);
      latencies.push(r.at - t0);
    }
    expect(median(latencies)).toBeLessThan(5);
    expect(native.semctlGet(id, 0, C.GETNCNT)).toBe(0);
  });

  it('semtimedop: ETIMEDOUT after the timeout, not before; a value in time wins', async () => {
    const id = semSet([0]);
    const t0 = performance.now();
    const r = await startTask(() => native.semopStart(id, [op(0, -1)], 40)).done;
    expect(r.errno).toBe(ETIMEDOUT);
    expect(r.at - t0).toBeGreaterThanOrEqual(38);
    const w = startTask(() => native.semopStart(id, [op(0, -1)], 2000));
    await sleep(10);
    native.semop(id, [op(0, 1)]);
    expect((await w.done).errno).toBe(0);
  });

  it('removing the set wakes its waiters with EIDRM', async () => {
    const id = semSet([0]);
    const w = startTask(() => native.semopStart(id, [op(0, -1)]));
    await waitUntil(() => native.semctlGet(id, 0, C.GETNCNT) === 1, { message: 'the waiter to block' });
    native.semctlRemove(id);
    expect((await w.done).errno).toBe(EIDRM);
  });

  it('limits, usage, IPC_SET and SEM_STAT_ANY', () => {
    const id = semSet([0]);
    native.semctlSet(id, { mode: 0o640 });
    expect(native.semctlStat(id).perm.mode & 0o777).toBe(0o640);
    const index = native.semctlInfo(C.SEM_INFO).index;
    const ids: number[] = [];
    for (let i = 0; i <= index; i++) {
      try {
        ids.push(native.semctlStatIndex(i, true).id);
      } catch {
        /* a free slot */
      }
    }
    expect(ids).toContain(id);
    expect(native.semctlInfo(C.IPC_INFO)).toMatchObject({ semvmx: 32767 });
    expect(native.semctlInfo(C.SEM_INFO).semusz).toBeGreaterThanOrEqual(1);
  });
});

describe('POSIX named semaphores', () => {
  it('open, trywait, post, getvalue; O_EXCL; unlink', () => {
    const name = semName();
    const h = openSem(name, 1);
    expect(() => openSem(name, 1)).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'sem_open', path: name }));
    const again = openSem(name, 0, 0); // the same semaphore, a second handle
    expect(native.semTrywait(h)).toBe(true);
    expect(native.semTrywait(again)).toBe(false);
    native.semPost(again);
    expect(native.semGetvalue(h)).toBe(1);
    native.semUnlink(name);
    expect(() => native.semUnlink(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(native.semGetvalue(h)).toBe(1); // still usable after unlink
  });

  it('handles are validated: bogus and closed handles are EBADF, never a crash', () => {
    const h = openSem(semName(), 0);
    native.semClose(h);
    for (const bad of [h, 0x7ffffff0, 1]) {
      expect(() => native.semPost(bad)).toThrow(expect.objectContaining({ code: 'EBADF' }));
      expect(() => native.semWaitStart(bad)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    }
    // A mapping handle is not a semaphore handle, and the other way round.
    const shmid = native.shmget(C.IPC_PRIVATE, 4096, C.IPC_CREAT | 0o600);
    try {
      const m = native.shmat(shmid, 0);
      expect(() => native.semPost(m.handle)).toThrow(expect.objectContaining({ code: 'EBADF' }));
      const s = openSem(semName(), 0);
      expect(() => native.shmdt(s)).toThrow(expect.objectContaining({ code: 'EBADF' }));
      native.shmdt(m.handle);
    } finally {
      native.shmctlRemove(shmid);
    }
  });

  it('sem_timedwait: ETIMEDOUT after the timeout, not before', async () => {
    const h = openSem(semName(), 0);
    const t0 = performance.now();
    const r = await startTask(() => native.semWaitStart(h, 40)).done;
    expect(r.errno).toBe(ETIMEDOUT);
    expect(r.at - t0).toBeGreaterThanOrEqual(38);
  });

  it('a wait is ended by a post from another process', async () => {
    const name = semName();
    const h = openSem(name, 0);
    const w = startTask(() => native.semWaitStart(h));
    const c = spawnNode(PEER, { args: [nativePath, 'psem-post', name] });
    expect((await c.exited).code).toBe(0);
    expect((await w.done).errno).toBe(0);
    expect(native.semGetvalue(h)).toBe(0);
  });

  it('cancel ends a wait; semClose ends waits before closing', async () => {
    const h = openSem(semName(), 0);
    const w = startTask(() => native.semWaitStart(h));
    await sleep(10);
    const t0 = performance.now();
    tasks.cancel(w.id);
    const r = await w.done;
    expect(r.errno).toBe(ECANCELED);
    expect(r.at - t0).toBeLessThan(50);
    const waits = [startTask(() => native.semWaitStart(h)), startTask(() => native.semWaitStart(h, 5000))];
    await sleep(10);
    native.semClose(h);
    for (const x of waits) expect((await x.done).errno).toBe(ECANCELED);
    expect(() => native.semGetvalue(h)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
