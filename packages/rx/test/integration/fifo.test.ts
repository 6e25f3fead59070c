// fromFifo(path): opens on subscribe and emits the FIFO's chunks; unsubscribe aborts a
// pending open (no waiter thread left) or closes the fd.
import { fileURLToPath } from 'node:url';

import { Fifo } from '@rxipc/core';
import { native, tasks } from '@rxipc/native';
import { fromFifo } from '@rxipc/rx';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  Baseline,
  countFds,
  killChildren,
  makeTempDir,
  shortWaiterIdle,
  sleep,
  spawnNode,
  type TempDir,
  waitUntil,
  warmUpThreads,
} from '../../../../test/support/fs.js';

const coreFixture = (name: string) => fileURLToPath(new URL(`../../../core/test/fixtures/${name}`, import.meta.url));
const busyWaiters = () => native.testing.waiterStats().threads - native.testing.waiterStats().idle;

let dir: TempDir;
let restoreIdle: () => void;
beforeAll(async () => {
  restoreIdle = shortWaiterIdle(20);
  await warmUpThreads();
});
afterAll(() => restoreIdle());
beforeEach(() => {
  dir = makeTempDir('rx-fifo');
});
afterEach(() => {
  killChildren();
  dir.remove();
});

describe('fromFifo()', () => {
  it('emits what a child writes and completes when the writer closes', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const all = lastValueFrom(fromFifo(fifo.path).pipe(toArray()));
    const child = spawnNode(coreFixture('fifo-writer.mjs'), { args: [fifo.path, 'hello through a fifo', '20'] });
    expect(Buffer.concat(await all).toString()).toBe('hello through a fifo');
    expect(await child.exited, child.stderr()).toMatchObject({ code: 0, signal: null });
    fifo.close();
  });

  it('is lazy: nothing is opened before subscribe', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const obs = fromFifo(fifo.path);
    await sleep(20);
    expect(busyWaiters()).toBe(0);
    expect(() => native.openNonBlocking(fifo.path, native.constants.O_WRONLY)).toThrow(expect.objectContaining({ code: 'ENXIO' }));
    void obs;
    fifo.close();
  });

  it('unsubscribe during a pending open aborts it: no thread left waiting, no fd, no task', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const base = await Baseline.take();
    const pending = tasks.pending;
    const seen: unknown[] = [];
    const sub = fromFifo(fifo.path).subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e), complete: () => seen.push('complete') });
    await waitUntil(() => busyWaiters() === 1, { message: 'the open to wait on a waiter thread' });
    sub.unsubscribe();
    await waitUntil(() => busyWaiters() === 0 && tasks.pending === pending, { message: 'the wait to end' });
    await base.expectRestored();
    expect(seen).toEqual([]);
    // Nobody is reading: a writer cannot open without waiting.
    expect(() => native.openNonBlocking(fifo.path, native.constants.O_WRONLY)).toThrow(expect.objectContaining({ code: 'ENXIO' }));
    fifo.close();
  });

  it('unsubscribe after the open, before any data, closes the fd: the writer gets EPIPE', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const before = countFds();
    const sub = fromFifo(fifo.path).subscribe();
    const w = await fifo.openWritable();
    await waitUntil(() => countFds() === before + 2, { message: 'the reader to open' });
    sub.unsubscribe();
    await waitUntil(() => countFds() === before + 1, { message: 'the reader fd to close' });
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      w.once('error', resolve);
      w.write('anyone?');
    });
    expect(err.code).toBe('EPIPE');
    await waitUntil(() => countFds() === before, { message: 'all fds to close' });
    fifo.close();
  });

  it('keepOpen: data from two writers in turn, no completion; unsubscribe closes both fds', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const before = countFds();
    let data = '';
    let completed = false;
    const sub = fromFifo(fifo.path, { keepOpen: true }).subscribe({ next: (b) => (data += b.toString()), complete: () => (completed = true) });
    for (const text of ['first;', 'second;']) {
      const w = await fifo.openWritable();
      await new Promise<void>((r) => w.end(text, () => r()));
      await waitUntil(() => data.endsWith(text), { message: `"${text}"` });
    }
    await sleep(20);
    expect(completed).toBe(false);
    sub.unsubscribe();
    await waitUntil(() => countFds() === before, { message: 'the reader and its keeper to close' });
    fifo.close();
  });

  it('an open failure is an error notification (not a FIFO; missing)', async () => {
    const file = dir.file('plain');
    (await import('node:fs')).writeFileSync(file, 'x');
    await expect(lastValueFrom(fromFifo(file))).rejects.toMatchObject({ code: 'ERR_RXIPC_NOT_FIFO' });
    await expect(lastValueFrom(fromFifo(dir.file('missing')))).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open' });
  });
});
