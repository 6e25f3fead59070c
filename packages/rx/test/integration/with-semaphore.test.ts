// withSemaphore(sem, index, project): each value's inner work runs holding the semaphore;
// it is released on completion, on error and on unsubscribe, and never released unless held.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { withSemaphore } from '@rxipc/rx';
import { defer, from, lastValueFrom, NEVER, Observable, range, throwError, timer, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { makeTempDir, spawnNode } from '../../../../test/support/fs.js';
import { sleep, waitUntil } from '../../../../test/support/ipc.js';
import { useSemaphores } from '../../../../test/support/sem.js';

const sems = useSemaphores();
const COUNTER = fileURLToPath(new URL('../fixtures/sem-counter.mjs', import.meta.url));

describe('withSemaphore()', () => {
  it('mutual exclusion across values with a binary semaphore; at most N at once with N', async () => {
    for (const n of [1, 3]) {
      const s = sems.create({ count: 1, initial: n });
      let running = 0;
      let most = 0;
      const out = await lastValueFrom(
        range(0, 8).pipe(
          withSemaphore(s, 0, (v: number) =>
            defer(async () => {
              running++;
              most = Math.max(most, running);
              await sleep(10);
              running--;
              return v * 2;
            }),
          ),
          toArray(),
        ),
      );
      expect(out.sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
      expect(most).toBe(n);
      expect(s.get(0)).toBe(n);
      expect(s.waiting(0).ncnt).toBe(0);
    }
  });

  it('mutual exclusion across processes: two children increment a file 40 times each under the lock, none lost', async () => {
    const s = sems.create({ count: 1, initial: 1 });
    const dir = makeTempDir('sem-counter');
    try {
      const file = join(dir.path, 'n');
      writeFileSync(file, '0');
      const children = [0, 1].map(() => spawnNode(COUNTER, { args: [String(s.id), file, '40'] }));
      const exits = await Promise.all(children.map((c) => c.exited));
      expect(exits.map((e) => e.code), children.map((c) => c.stderr()).join('')).toEqual([0, 0]);
      expect(readFileSync(file, 'utf8')).toBe('80');
      expect(s.get(0)).toBe(1);
    } finally {
      dir.remove();
    }
  }, 20_000);

  it('a burst waits in one line: at most one kernel wait at a time, values in arrival order', async () => {
    const s = sems.create({ count: 1, initial: 1 });
    let most = 0;
    const out = await lastValueFrom(
      range(0, 50).pipe(
        withSemaphore(s, 0, (v: number) =>
          defer(async () => {
            most = Math.max(most, s.waiting(0).ncnt);
            await sleep(1);
            return v;
          }),
        ),
        toArray(),
      ),
    );
    expect(out).toEqual([...Array(50).keys()]);
    expect(most).toBeLessThanOrEqual(1);
    expect(s.get(0)).toBe(1);
  });

  it('releases when the inner work errors (and the error reaches the subscriber), and when project throws', async () => {
    const s = sems.create({ count: 1, initial: 1 });
    const boom = Object.assign(new Error('boom'), { code: 'BOOM' });
    await expect(lastValueFrom(from([1]).pipe(withSemaphore(s, 0, () => throwError(() => boom))))).rejects.toBe(boom);
    expect(s.get(0)).toBe(1);
    await expect(
      lastValueFrom(
        from([1]).pipe(
          withSemaphore(s, 0, () => {
            throw boom;
          }),
        ),
      ),
    ).rejects.toBe(boom);
    expect(s.get(0)).toBe(1);
    await expect(lastValueFrom(from([1]).pipe(withSemaphore(s, 0, () => 3 as never)))).rejects.toMatchObject({ code: 'ERR_INVALID_RETURN_VALUE' });
    expect(s.get(0)).toBe(1);
  });

  it('releases on unsubscribe while held; gives up a wait on unsubscribe without taking anything', async () => {
    const s = sems.create({ count: 1, initial: 1 });
    const emitted: number[] = [];
    const sub = from([1, 2, 3])
      .pipe(withSemaphore(s, 0, (v: number) => new Observable<number>((o) => o.next(v))))
      .subscribe((v) => emitted.push(v));
    await waitUntil(() => emitted.length === 1 && s.waiting(0).ncnt === 1, 'one held, the next waiting (the third in line behind it)');
    expect(s.get(0)).toBe(0);
    sub.unsubscribe();
    // A waiter the release woke just before its cancel landed gives the unit back: the
    // value is 1 again once every wait has ended.
    await waitUntil(() => s.waiting(0).ncnt === 0 && s.get(0) === 1, 'the waits given up, the unit back');
    await sleep(20);
    expect(s.get(0)).toBe(1); // nothing taken by the given-up waits
    expect(emitted).toEqual([1]);
  });

  it('never releases what it did not acquire: an inner work waiting when the source errors', async () => {
    const s = sems.create({ count: 1 });
    const boom = Object.assign(new Error('source'), { code: 'SRC' });
    const p = lastValueFrom(
      new Observable<number>((o) => {
        o.next(1);
        setTimeout(() => o.error(boom), 20);
      }).pipe(withSemaphore(s, 0, () => NEVER)),
    );
    await expect(p).rejects.toBe(boom);
    await waitUntil(() => s.waiting(0).ncnt === 0, 'the wait given up');
    expect(s.get(0)).toBe(0);
  });

  it('removal of the set is an error notification (EIDRM)', async () => {
    const s = sems.create({ count: 1 });
    const p = lastValueFrom(from([1]).pipe(withSemaphore(s, 0, () => timer(1))));
    await waitUntil(() => s.waiting(0).ncnt === 1, 'waiting');
    s.remove();
    await expect(p).rejects.toMatchObject({ code: 'EIDRM' });
  });

  it('validates at the call', () => {
    const s = sems.create({ count: 1 });
    expect(() => withSemaphore({} as never, 0, () => NEVER)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => withSemaphore(s, 1, () => NEVER)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => withSemaphore(s, 0, 1 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => withSemaphore(s, 0, () => NEVER, { undo: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => withSemaphore(s, 0, () => NEVER, { count: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
