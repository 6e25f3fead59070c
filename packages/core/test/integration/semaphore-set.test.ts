// SemaphoreSet against the real kernel, with real child processes: race-free creation,
// IPC_NOWAIT, timeouts, wait-for-zero, wake-ups, limits, removal, SEM_UNDO on SIGKILL,
// permissions, and the cancel rule.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { IPC_PRIVATE, SemaphoreSet } from '@rxipc/core';
import { native } from '@rxipc/native';
import { describe, expect, it } from 'vitest';

import { trackChild } from '../../../../test/support/children.js';
import { spawnNode } from '../../../../test/support/fs.js';
import { fixturesDir, isPending, sleep, waitUntil } from '../../../../test/support/ipc.js';
import { useSemaphores } from '../../../../test/support/sem.js';

const sems = useSemaphores();
const CHILD = join(fixturesDir, 'sem-child.mjs');
const child = (...args: Array<string | number>) => spawnNode(CHILD, { args: args.map(String) });

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('open', () => {
  it('creates with initial values (one for all, or one each) and reports its size', () => {
    expect(sems.create({ count: 3, initial: 4 }).getAll()).toEqual([4, 4, 4]);
    const s = sems.create({ count: 2, initial: [1, 7] });
    expect(s.getAll()).toEqual([1, 7]);
    expect(s.size).toBe(2);
    expect(s.stat().otime).toBeGreaterThan(0); // the creator's marking semop
    expect(s.stat().perm.mode & 0o777).toBe(0o600);
  });

  it('reopening never re-initialises (in this process and in another)', async () => {
    const key = sems.key();
    const a = SemaphoreSet.open(key, { count: 1, create: true, initial: 3 });
    await a.acquire(0, { undo: false });
    const b = SemaphoreSet.open(key, { count: 1, create: true, initial: 9 });
    expect(b.id).toBe(a.id);
    expect(b.get(0)).toBe(2);
    const c = child('race', key, 0, '9');
    expect((await c.exited).code).toBe(0);
    expect(JSON.parse(c.stdout())).toEqual({ id: a.id, values: [2] });
    expect(a.get(0)).toBe(2);
    expect(SemaphoreSet.open(key).size).toBe(1);
  });

  it('two processes racing to create: one creates, both see the initial values', async () => {
    for (let round = 0; round < 8; round++) {
      const key = sems.key();
      const at = Date.now() + 400;
      const [x, y] = [child('race', key, at, '7,3,32767'), child('race', key, at, '7,3,32767')];
      const [ex, ey] = await Promise.all([x.exited, y.exited]);
      expect([ex.code, ey.code], x.stderr() + y.stderr()).toEqual([0, 0]);
      const [rx, ry] = [JSON.parse(x.stdout()), JSON.parse(y.stdout())];
      expect(rx.id).toBe(ry.id);
      expect(rx.values).toEqual([7, 3, 32767]);
      expect(ry.values).toEqual([7, 3, 32767]);
    }
  }, 20_000);

  it('an opener that finds a set not yet initialised waits for its creator (30 ms here) and sees its values', async () => {
    const key = sems.key();
    const id = native.semget(key, 2, native.constants.IPC_CREAT | native.constants.IPC_EXCL | 0o600); // a slow creator
    sems.own(id);
    const at = Date.now() + 500;
    const c = child('race', key, at, '1,1');
    await sleep(at + 30 - Date.now());
    native.semctlSetAll(id, [5, 6]);
    native.semop(id, [
      { num: 0, op: 1, flags: 0 },
      { num: 0, op: -1, flags: 0 },
    ]);
    expect((await c.exited).code, c.stderr()).toBe(0);
    expect(JSON.parse(c.stdout())).toEqual({ id, values: [5, 6] });
  });

  it('a set its creator never initialised: open with create fails after ~100 ms with ERR_RXIPC_NOT_INITIALISED; plain open works', () => {
    const key = sems.key();
    const id = native.semget(key, 1, native.constants.IPC_CREAT | 0o600);
    sems.own(id);
    const start = performance.now();
    let err: { code?: string } | undefined;
    try {
      SemaphoreSet.open(key, { count: 1, create: true, initial: 1 });
    } catch (e) {
      err = e as { code?: string };
    }
    const ms = performance.now() - start;
    expect(err?.code).toBe('ERR_RXIPC_NOT_INITIALISED');
    expect(ms).toBeGreaterThanOrEqual(95);
    expect(ms).toBeLessThan(300);
    expect(native.semctlGet(id, 0, native.constants.GETVAL)).toBe(0); // not written
    expect(SemaphoreSet.open(key, { count: 1 }).id).toBe(id);
  });

  it('exclusive fails with EEXIST; a missing key without create with ENOENT', () => {
    const key = sems.key();
    SemaphoreSet.open(key, { count: 1, create: true });
    expect(() => SemaphoreSet.open(key, { count: 1, create: true, exclusive: true })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => SemaphoreSet.open(sems.key(), { count: 1 })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('acquire / release', () => {
  it('nowait on 0 fails with EAGAIN and leaves the value; tryAcquire says false', async () => {
    const s = sems.create({ count: 1 });
    expect(await code(s.acquire(0, { nowait: true }))).toBe('EAGAIN');
    expect(await code(s.acquire(0, { nowait: true, timeout: 1000 }))).toBe('EAGAIN'); // nowait wins
    expect(s.tryAcquire(0)).toBe(false);
    expect(s.get(0)).toBe(0);
  });

  it('release(5) then acquire(3) leaves 2', async () => {
    const s = sems.create({ count: 1 });
    s.release(0, 5);
    await s.acquire(0, { count: 3 });
    expect(s.get(0)).toBe(2);
    expect(s.tryAcquire(0, { count: 3 })).toBe(false);
    expect(s.tryAcquire(0, { count: 2 })).toBe(true);
    expect(s.get(0)).toBe(0);
  });

  it('32768 and -1 are rejected before any syscall; release past 32767 fails with ERANGE', async () => {
    const s = sems.create({ count: 2 });
    expect(() => s.set(0, 32768)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => s.set(0, -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => s.setAll([0, 32768])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => s.release(0, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => s.release(2)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(await code(s.acquire(0, { count: 32768 }))).toBe('ERR_OUT_OF_RANGE');
    expect(await code(s.acquire(0, { undo: 1 as unknown as boolean }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(() => SemaphoreSet.open(IPC_PRIVATE, { count: 1, create: true, initial: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    s.set(0, 32767);
    expect(() => s.release(0)).toThrow(expect.objectContaining({ code: 'ERANGE', syscall: 'semop' }));
    expect(s.get(0)).toBe(32767);
  });

  it('a timed acquire fails with ETIMEDOUT after between 0.9 x timeout and timeout + 0.5 s', async () => {
    const s = sems.create({ count: 1 });
    const start = performance.now();
    expect(await code(s.acquire(0, { timeout: 300 }))).toBe('ETIMEDOUT');
    const ms = performance.now() - start;
    expect(ms).toBeGreaterThanOrEqual(270);
    expect(ms).toBeLessThan(800);
    expect(s.get(0)).toBe(0);
  });

  it('two blocked acquirers show ncnt 2; one release wakes exactly one', async () => {
    const s = sems.create({ count: 1 });
    const results: string[] = [];
    const a = s.acquire(0).then(() => results.push('a'));
    const b = s.acquire(0).then(() => results.push('b'));
    await waitUntil(() => s.waiting(0).ncnt === 2, 'ncnt 2');
    s.release(0);
    await waitUntil(() => results.length === 1, 'one acquirer');
    await sleep(50);
    expect(results).toHaveLength(1);
    expect(s.waiting(0).ncnt).toBe(1);
    s.release(0);
    await Promise.all([a, b]);
    expect(s.get(0)).toBe(0);
  });

  it('op applies several operations atomically', async () => {
    const s = sems.create({ count: 2, initial: [1, 0] });
    const moving = s.op([
      { index: 0, delta: -2 },
      { index: 1, delta: 1 },
    ]);
    await sleep(20);
    expect(await isPending(moving)).toBe(true);
    expect(s.getAll()).toEqual([1, 0]); // none of it applied
    s.release(0);
    await moving;
    expect(s.getAll()).toEqual([0, 1]);
    expect(await code(s.op([{ index: 0, delta: -1, nowait: true }]))).toBe('EAGAIN');
  });

  it('lastPid and otime', async () => {
    const s = sems.create({ count: 1 });
    const c = child('release', s.id, 2);
    expect((await c.exited).code).toBe(0);
    expect(s.lastPid(0)).toBe(c.child.pid);
    await s.acquire(0);
    expect(s.lastPid(0)).toBe(process.pid);
    expect(Math.abs(s.stat().otime - Date.now() / 1000)).toBeLessThan(5);
  });

  it('withLock releases in finally, also when fn throws', async () => {
    const s = sems.create({ count: 1, initial: 1 });
    expect(await s.withLock(0, () => s.get(0))).toBe(0);
    expect(s.get(0)).toBe(1);
    await expect(s.withLock(0, async () => Promise.reject(Object.assign(new Error('x'), { code: 'X' })))).rejects.toMatchObject({ code: 'X' });
    expect(s.get(0)).toBe(1);
  });
});

describe('wait for zero', () => {
  it('nowait fails with EAGAIN; a blocked one shows zcnt 1 and resolves when the value reaches 0', async () => {
    const s = sems.create({ count: 1, initial: 2 });
    expect(await code(s.waitForZero(0, { nowait: true }))).toBe('EAGAIN');
    const zero = s.waitForZero(0);
    await waitUntil(() => s.waiting(0).zcnt === 1, 'zcnt 1');
    await s.acquire(0);
    expect(await isPending(zero)).toBe(true);
    await s.acquire(0);
    await zero;
    expect(s.waiting(0)).toEqual({ ncnt: 0, zcnt: 0 });
    await s.waitForZero(0); // at once
  });
});

describe('removal', () => {
  it("this object's remove() ends its blocked acquire with EIDRM", async () => {
    const s = sems.create({ count: 1 });
    const waiting = code(s.acquire(0));
    await waitUntil(() => s.waiting(0).ncnt === 1, 'a waiter');
    s.remove();
    expect(await waiting).toBe('EIDRM');
  });

  it('removal by another process wakes a blocked acquirer with EIDRM within 1 s; this object then says EIDRM', async () => {
    const s = sems.create({ count: 1 });
    const waiting = code(s.acquire(0));
    const removed = new Promise<void>((r) => s.once('removed', r));
    await waitUntil(() => s.waiting(0).ncnt === 1, 'a waiter');
    const start = performance.now();
    expect((await child('remove', s.id).exited).code).toBe(0);
    expect(await waiting).toBe('EIDRM');
    expect(performance.now() - start).toBeLessThan(1000);
    await removed;
    expect(() => s.get(0)).toThrow(expect.objectContaining({ code: 'EIDRM' }));
  });

  it("another process's blocked acquire ends with EIDRM when this process removes the set", async () => {
    const s = sems.create({ count: 1 });
    const c = child('acquire', s.id);
    await c.line('waiting');
    await waitUntil(() => s.waiting(0).ncnt === 1, 'the child waiting');
    s.remove();
    expect((await c.exited).code).toBe(0);
    expect(c.stdout().trim().split('\n').pop()).toBe('EIDRM');
  });
});

describe('SEM_UNDO and other processes', () => {
  it('a child holding with undo is SIGKILLed: the value comes back; without undo it does not', async () => {
    for (const undo of [true, false]) {
      const s = sems.create({ count: 1, initial: 1 });
      const c = child('hold', s.id, undo ? 1 : 0);
      await c.line('held');
      expect(s.get(0)).toBe(0);
      c.kill();
      await c.exited;
      expect(s.get(0)).toBe(undo ? 1 : 0);
    }
  });

  it('mode 0o600 denies another user (uid 65534): EACCES', async () => {
    const s = sems.create({ count: 1, mode: 0o600 });
    const denied = await runAs(65534, ['stat', s.id]);
    expect(denied).toBe('EACCES');
    s.setPermissions({ mode: 0o604 });
    expect(await runAs(65534, ['stat', s.id])).toBe('ok');
  });
});

describe('the cancel rule: a cancelled call rejects and holds nothing', () => {
  it('abort of a blocked acquire rejects within 5 ms (median) with AbortError; the value is unchanged', async () => {
    const s = sems.create({ count: 1 });
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const ac = new AbortController();
      const p = s.acquire(0, { signal: ac.signal });
      await waitUntil(() => s.waiting(0).ncnt === 1, 'a waiter');
      const start = performance.now();
      ac.abort();
      const err = await p.catch((e: unknown) => e as { name?: string });
      times.push(performance.now() - start);
      expect(err).toMatchObject({ name: 'AbortError' });
    }
    times.sort((a, b) => a - b);
    expect(times[3]).toBeLessThan(5);
    expect(s.get(0)).toBe(0);
    expect(s.waiting(0).ncnt).toBe(0);
  });

  it('a grant that races with the abort is given back: after each round the value is 1 - (resolved ? 1 : 0)', async () => {
    const s = sems.create({ count: 1 });
    const outcomes = { resolved: 0, aborted: 0 };
    for (let i = 0; i < 40; i++) {
      s.set(0, 0);
      const ac = new AbortController();
      let resolved = false;
      const p = s.acquire(0, { signal: ac.signal, undo: false }).then(
        () => (resolved = true),
        (e: { name?: string }) => expect(e.name).toBe('AbortError'),
      );
      await waitUntil(() => s.waiting(0).ncnt === 1, 'a waiter');
      // Release and abort in the same turn. Linux applies a sleeping semop inside the semop
      // that wakes it, so when release() returns the acquire is already granted: the abort
      // finds a granted op nearly every round, and value 1 afterwards is the give-back.
      s.release(0, 1, { undo: false });
      ac.abort();
      await p;
      outcomes[resolved ? 'resolved' : 'aborted']++;
      expect(s.get(0)).toBe(resolved ? 0 : 1);
    }
    expect(outcomes.resolved + outcomes.aborted).toBe(40);
  });

  it('the same for op(): a cancelled op is all applied and resolved, or none of it ([1, 0] -> [0, 1] or [1, 0])', async () => {
    const s = sems.create({ count: 2 });
    for (let i = 0; i < 30; i++) {
      s.setAll([0, 0]);
      const ac = new AbortController();
      let resolved = false;
      const p = s
        .op(
          [
            { index: 0, delta: -1, undo: false },
            { index: 1, delta: 1, undo: false },
          ],
          { signal: ac.signal },
        )
        .then(
          () => (resolved = true),
          (e: { name?: string }) => expect(e.name).toBe('AbortError'),
        );
      await waitUntil(() => s.waiting(0).ncnt === 1, 'a waiter');
      s.release(0, 1, { undo: false });
      ac.abort();
      await p;
      expect(s.getAll()).toEqual(resolved ? [0, 1] : [1, 0]);
    }
  });

  it('close() ends its waits as closed (ERR_RXIPC_CLOSED); the set stays', async () => {
    const s = sems.create({ count: 1 });
    const p = code(s.acquire(0));
    await waitUntil(() => s.waiting(0).ncnt === 1, 'a waiter');
    await s.close();
    expect(await p).toBe('ERR_RXIPC_CLOSED');
    expect(SemaphoreSet.fromId(s.id).waiting(0).ncnt).toBe(0);
    expect(await code(s.acquire(0))).toBe('ERR_RXIPC_CLOSED');
  });
});

describe('limits', () => {
  it('limits() and usage()', () => {
    sems.create({ count: 1 });
    expect(SemaphoreSet.limits().semvmx).toBe(32767);
    expect(SemaphoreSet.usage().semusz).toBeGreaterThanOrEqual(1);
  });
});

/** Runs sem-child.mjs as another user; returns its first stdout line. */
async function runAs(uid: number, args: Array<string | number>): Promise<string> {
  const c = spawn(process.execPath, [CHILD, ...args.map(String)], { uid, gid: uid, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(c);
  let out = '';
  let err = '';
  c.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  c.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  await new Promise((r) => c.once('close', r));
  return out.trim() || `(no output: ${err})`;
}

describe('misuse: coded TypeError / RangeError before any syscall; promises reject, never throw', () => {
  it('synchronous methods throw, promise methods reject', async () => {
    const s = sems.create({ count: 2 });
    const before = s.stat().otime;
    const bad: Array<[() => unknown, string]> = [
      [() => SemaphoreSet.open(IPC_PRIVATE, { create: true }), 'ERR_INVALID_ARG_TYPE'], // no count
      [() => SemaphoreSet.open(IPC_PRIVATE, { count: 1, initial: 1 }), 'ERR_INVALID_ARG_VALUE'], // initial without create
      [() => SemaphoreSet.open(IPC_PRIVATE, { count: 2, create: true, initial: [1] }), 'ERR_OUT_OF_RANGE'],
      [() => SemaphoreSet.open(IPC_PRIVATE, 'x' as never), 'ERR_INVALID_ARG_TYPE'],
      [() => SemaphoreSet.open(1.5), 'ERR_OUT_OF_RANGE'],
      [() => SemaphoreSet.fromId(-1), 'ERR_OUT_OF_RANGE'],
      [() => s.get(-1), 'ERR_OUT_OF_RANGE'],
      [() => s.get('0' as never), 'ERR_INVALID_ARG_TYPE'],
      [() => s.tryAcquire(0, { count: 0 }), 'ERR_OUT_OF_RANGE'],
      [() => s.release(0, 1, { undo: 'no' as never }), 'ERR_INVALID_ARG_TYPE'],
      [() => s.setAll([1]), 'ERR_OUT_OF_RANGE'],
      [() => s.setAll('ab' as never), 'ERR_INVALID_ARG_TYPE'],
      [() => s.setPermissions({ mode: 0o1000 }), 'ERR_OUT_OF_RANGE'],
      [() => s.setPermissions(null as never), 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [fn, want] of bad) expect(fn, String(fn)).toThrow(expect.objectContaining({ code: want }));
    const rejected: Array<[() => Promise<unknown>, string]> = [
      [() => s.acquire(2), 'ERR_OUT_OF_RANGE'],
      [() => s.acquire(0, { nowait: 1 as never }), 'ERR_INVALID_ARG_TYPE'],
      [() => s.acquire(0, { timeout: -1 }), 'ERR_OUT_OF_RANGE'],
      [() => s.acquire(0, { signal: {} as never }), 'ERR_INVALID_ARG_TYPE'],
      [() => s.acquire(0, { signal: AbortSignal.abort() }), 'ABORT_ERR'],
      [() => s.op([]), 'ERR_OUT_OF_RANGE'],
      [() => s.op({} as never), 'ERR_INVALID_ARG_TYPE'],
      [() => s.op([{ index: 0, delta: 32768 }]), 'ERR_OUT_OF_RANGE'],
      [() => s.op([{ index: 5, delta: 1 }]), 'ERR_OUT_OF_RANGE'],
      [() => s.waitForZero(0, 'x' as never), 'ERR_INVALID_ARG_TYPE'],
      [() => s.withLock(0, 'fn' as never), 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [fn, want] of rejected) {
      let p: Promise<unknown> | undefined;
      expect(() => (p = fn()), String(fn)).not.toThrow();
      expect(await code(p!), String(fn)).toBe(want);
    }
    expect(s.getAll()).toEqual([0, 0]);
    expect(s.stat().otime).toBe(before);
  });
});
