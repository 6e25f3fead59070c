// shmChanges against real shared memory: polling in virtual time (TestScheduler), notify mode
// with a writer in another process (never torn, always ends on the last value), eager
// validation, error notifications, and teardown that leaves no task behind.
import { fileURLToPath } from 'node:url';

import { IPC_PRIVATE, SharedMemory } from '@rxipc/core';
import { tasks } from '@rxipc/native';
import { shmChanges } from '@rxipc/rx';
import fc from 'fast-check';
import { type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';

import { startChild, waitUntil } from '../../../../test/support/ipc.js';

const CHILD = fileURLToPath(new URL('../../../core/test/fixtures/shm-child.mjs', import.meta.url));

let made: SharedMemory[] = [];
afterEach(async () => {
  for (const shm of made.splice(0)) {
    try {
      shm.remove();
    } catch {
      /* removed or closed by the test */
    }
    await shm.close();
  }
  // Every test starts with no task of a previous one still ending.
  await waitUntil(() => tasks.pending === 0, 'the tasks of the test to end');
});

function segment(size = 4096): SharedMemory {
  const shm = SharedMemory.open(IPC_PRIVATE, { size, create: true });
  made.push(shm);
  return shm;
}

describe('shmChanges: polling', () => {
  it('virtual time: the initial value first, then one copy per changed interval, nothing while unchanged, nothing after unsubscribe', () => {
    const shm = segment(64);
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.maxFrames = 200;
    const seen: Array<[number, string]> = [];
    const sub = shmChanges(shm, { interval: 10, offset: 4, length: 4, scheduler }).subscribe((b) => {
      seen.push([scheduler.now(), b.toString('hex')]);
      b.fill(0xff); // the emitted copy is the subscriber's own: it changes nothing
    });
    scheduler.schedule(() => shm.write(4, Buffer.from([1, 2, 3, 4])), 25);
    scheduler.schedule(() => shm.write(5, Buffer.from([9])), 26); // same interval: only the last state is seen
    scheduler.schedule(() => shm.write(0, Buffer.from([7, 7, 7, 7])), 35); // outside the region
    scheduler.schedule(() => shm.write(4, Buffer.from([1, 9, 3, 4])), 45); // the same bytes again
    scheduler.schedule(() => shm.write(4, Buffer.from([5])), 52);
    scheduler.schedule(() => sub.unsubscribe(), 65);
    scheduler.schedule(() => shm.write(4, Buffer.from([6])), 70);
    scheduler.flush();
    expect(seen).toEqual([
      [0, '00000000'],
      [30, '01090304'],
      [60, '05090304'],
    ]);
  });

  it('a read-only attachment polls too; a detached one is an error notification', async () => {
    const shm = segment(64);
    const ro = SharedMemory.fromId(shm.id, { readOnly: true });
    made.push(ro);
    const values: string[] = [];
    const sub = shmChanges(ro, { interval: 1, length: 2 }).subscribe((b) => values.push(b.toString('hex')));
    shm.write(0, Buffer.from([0xab]));
    await waitUntil(() => values.length === 2, 'the change');
    sub.unsubscribe();
    expect(values).toEqual(['0000', 'ab00']);
    ro.detach();
    const err = await new Promise<unknown>((resolve) => shmChanges(ro).subscribe({ error: resolve }));
    expect(err).toMatchObject({ code: 'ERR_RXIPC_DETACHED' });
    const err2 = await new Promise<unknown>((resolve) => shmChanges(ro, { notify: true }).subscribe({ error: resolve }));
    expect(err2).toMatchObject({ code: 'ERR_RXIPC_DETACHED' });
  });

  it('bad arguments throw at the call, coded', () => {
    const shm = segment(64);
    const cases: Array<[() => unknown, string]> = [
      [() => shmChanges({} as never), 'ERR_INVALID_ARG_TYPE'],
      [() => shmChanges(shm, 5 as never), 'ERR_INVALID_ARG_TYPE'],
      [() => shmChanges(shm, { interval: 0 }), 'ERR_OUT_OF_RANGE'],
      [() => shmChanges(shm, { offset: 65 }), 'ERR_OUT_OF_RANGE'],
      [() => shmChanges(shm, { length: -1 }), 'ERR_OUT_OF_RANGE'],
      [() => shmChanges(shm, { scheduler: {} as never }), 'ERR_INVALID_ARG_TYPE'],
      [() => shmChanges(shm, { notify: 'yes' as never }), 'ERR_INVALID_ARG_TYPE'],
      [() => shmChanges(shm, { notify: true, offset: 6 }), 'ERR_INVALID_ARG_VALUE'],
      [() => shmChanges(shm, { notify: true, offset: 60 }), 'ERR_OUT_OF_RANGE'],
      [() => shmChanges(shm, { notify: true, interval: 5 }), 'ERR_INVALID_ARG_VALUE'],
    ];
    for (const [f, code] of cases) expect(f).toThrow(expect.objectContaining({ code }));
  });
});

describe('shmChanges: notify', () => {
  it('emits the published value at subscription, then each publish; nothing after unsubscribe; no task left', async () => {
    const shm = segment(256);
    const before = tasks.pending; // 0
    const quiet: Buffer[] = [];
    const unpublished = shmChanges(shm, { notify: true, offset: 16 }).subscribe((b) => quiet.push(b));
    shm.publish(16, 'first');
    const values: string[] = [];
    const sub = shmChanges(shm, { notify: true, offset: 16 }).subscribe((b) => values.push(b.toString()));
    expect(values).toEqual(['first']); // synchronously at subscribe
    shm.publish(16, 'second');
    await waitUntil(() => values.length === 2, 'second');
    shm.publish(16, 'third');
    await waitUntil(() => values.length === 3, 'third');
    sub.unsubscribe();
    unpublished.unsubscribe();
    // Nothing before the first publish; values may be skipped, never the last one.
    expect(quiet.length).toBeGreaterThan(0);
    for (const q of quiet) expect(['first', 'second', 'third']).toContain(q.toString());
    expect(quiet.at(-1)!.toString()).toBe('third');
    shm.publish(16, 'fourth');
    await waitUntil(() => tasks.pending === before, 'the futex waits to end');
    expect(values).toEqual(['first', 'second', 'third']);
  });

  it('a writer in another process: no torn snapshot, and the feed always ends on the last value written', async () => {
    const shm = segment(8192);
    const size = 1024;
    const count = 20_000;
    let torn = 0;
    let lastValue = 0;
    let emissions = 0;
    const sub = shmChanges(shm, { notify: true, offset: 0 }).subscribe((data) => {
      emissions++;
      const v = data.readUInt32LE(0);
      if (data.length !== size || data.readUInt32LE(size - 4) !== v || !data.subarray(0, size / 2).equals(data.subarray(size / 2))) torn++;
      if (v < lastValue) torn++; // never backwards
      lastValue = v;
    });
    const writer = startChild(process.execPath, [CHILD, 'hammer', String(shm.id), '0', String(count), String(size)], { timeoutMs: 30_000 });
    const r = await writer.done;
    expect(r.code, r.stderr).toBe(0);
    await waitUntil(() => lastValue === count, `the last value (${count}), at ${lastValue}`, 5000);
    sub.unsubscribe();
    expect(torn).toBe(0);
    expect(emissions).toBeGreaterThan(0);
    expect(emissions).toBeLessThanOrEqual(count);
  });

  it('property: any interleaving of subscribe / unsubscribe / publish tears down exactly what it set up', async () => {
    const shm = segment(256);
    const base = tasks.pending; // 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant('sub-notify'), fc.constant('sub-poll'), fc.constant('unsub'), fc.constant('publish'), fc.constant('tick')), {
          maxLength: 30,
        }),
        async (ops) => {
          const subs: Subscription[] = [];
          let n = 0;
          for (const op of ops) {
            if (op === 'sub-notify') subs.push(shmChanges(shm, { notify: true, offset: 8 }).subscribe());
            else if (op === 'sub-poll') subs.push(shmChanges(shm, { interval: 1, offset: 8, length: 32 }).subscribe());
            else if (op === 'unsub') subs.shift()?.unsubscribe();
            else if (op === 'publish') shm.publish(8, `v${++n}`);
            else await new Promise((r) => setTimeout(r, 1));
          }
          for (const s of subs) s.unsubscribe();
          await waitUntil(() => tasks.pending === base, 'every futex wait to end', 3000);
        },
      ),
      { numRuns: 60 },
    );
  });
});
