// Model-based: any sequence of acquire(nowait) / tryAcquire / release / op (all nowait) /
// setAll / waitForZero(nowait) on a real set behaves like an in-memory model of Linux's
// semop rules: ops applied in order, atomically, EAGAIN when one would wait, ERANGE past
// 32767 — and the kernel's values equal the model's after every step.
import { SemaphoreSet } from '@rxipc/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { useSemaphores } from '../../../../test/support/sem.js';

const sems = useSemaphores();
const N = 3;
const SEMVMX = 32767;

type Model = { values: number[] };
type Op = { index: number; delta: number };

/** Linux's perform_atomic_semop: the new values, or the errno name of the first op that fails. */
function apply(values: readonly number[], ops: readonly Op[]): number[] | 'EAGAIN' | 'ERANGE' {
  const v = [...values];
  for (const { index, delta } of ops) {
    if (delta === 0 && v[index] !== 0) return 'EAGAIN';
    const r = v[index]! + delta;
    if (r < 0) return 'EAGAIN';
    if (r > SEMVMX) return 'ERANGE';
    v[index] = r;
  }
  return v;
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

function syncOutcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

const expected = (m: Model, ops: Op[]): string => {
  const r = apply(m.values, ops);
  if (typeof r === 'string') return r;
  m.values = r;
  return 'ok';
};

class Acquire implements fc.AsyncCommand<Model, SemaphoreSet> {
  constructor(readonly index: number, readonly count: number) {}
  check = () => true;
  async run(m: Model, s: SemaphoreSet) {
    const want = expected(m, [{ index: this.index, delta: -this.count }]);
    expect(await outcome(s.acquire(this.index, { count: this.count, nowait: true, undo: false }))).toBe(want);
    expect(s.getAll()).toEqual(m.values);
  }
  toString = () => `acquire(${this.index}, ${this.count})`;
}

class TryAcquire implements fc.AsyncCommand<Model, SemaphoreSet> {
  constructor(readonly index: number, readonly count: number) {}
  check = () => true;
  async run(m: Model, s: SemaphoreSet) {
    const want = expected(m, [{ index: this.index, delta: -this.count }]);
    expect(s.tryAcquire(this.index, { count: this.count, undo: false })).toBe(want === 'ok');
    expect(s.getAll()).toEqual(m.values);
  }
  toString = () => `tryAcquire(${this.index}, ${this.count})`;
}

class Release implements fc.AsyncCommand<Model, SemaphoreSet> {
  constructor(readonly index: number, readonly count: number) {}
  check = () => true;
  async run(m: Model, s: SemaphoreSet) {
    const want = expected(m, [{ index: this.index, delta: this.count }]);
    expect(syncOutcome(() => s.release(this.index, this.count, { undo: false }))).toBe(want);
    expect(s.getAll()).toEqual(m.values);
  }
  toString = () => `release(${this.index}, ${this.count})`;
}

class Ops implements fc.AsyncCommand<Model, SemaphoreSet> {
  constructor(readonly ops: Op[]) {}
  check = () => true;
  async run(m: Model, s: SemaphoreSet) {
    const want = expected(m, this.ops);
    expect(await outcome(s.op(this.ops.map((o) => ({ ...o, nowait: true, undo: false }))))).toBe(want);
    expect(s.getAll()).toEqual(m.values);
  }
  toString = () => `op(${JSON.stringify(this.ops)})`;
}

class SetAll implements fc.AsyncCommand<Model, SemaphoreSet> {
  constructor(readonly values: number[]) {}
  check = () => true;
  async run(m: Model, s: SemaphoreSet) {
    s.setAll(this.values);
    m.values = [...this.values];
    expect(s.getAll()).toEqual(m.values);
  }
  toString = () => `setAll(${JSON.stringify(this.values)})`;
}

class WaitForZero implements fc.AsyncCommand<Model, SemaphoreSet> {
  constructor(readonly index: number) {}
  check = () => true;
  async run(m: Model, s: SemaphoreSet) {
    const want = m.values[this.index] === 0 ? 'ok' : 'EAGAIN';
    expect(await outcome(s.waitForZero(this.index, { nowait: true }))).toBe(want);
    expect(s.getAll()).toEqual(m.values);
  }
  toString = () => `waitForZero(${this.index})`;
}

const index = fc.integer({ min: 0, max: N - 1 });
// Small counts (so they often succeed and often fail), and some near the limits.
const count = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom(SEMVMX, SEMVMX - 1, 16384));
const value = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(SEMVMX, SEMVMX - 1, 0));
const delta = fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constantFrom(SEMVMX, -SEMVMX, 1, -1));

const commands = fc.commands(
  [
    fc.tuple(index, count).map(([i, c]) => new Acquire(i, c)),
    fc.tuple(index, count).map(([i, c]) => new TryAcquire(i, c)),
    fc.tuple(index, count).map(([i, c]) => new Release(i, c)),
    fc.array(fc.record({ index, delta }), { minLength: 1, maxLength: 4 }).map((ops) => new Ops(ops)),
    fc.array(value, { minLength: N, maxLength: N }).map((v) => new SetAll(v)),
    index.map((i) => new WaitForZero(i)),
  ],
  { maxCommands: 30 },
);

describe('SemaphoreSet model', () => {
  it('any sequence of non-waiting operations matches the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: N, maxLength: N }), commands, async (initial, cmds) => {
        const s = sems.create({ count: N, initial });
        try {
          await fc.asyncModelRun(() => ({ model: { values: [...initial] }, real: s }), cmds);
        } finally {
          s.remove();
        }
      }),
      { numRuns: 150 },
    );
  });
});
