// fromReadable(stream): chunks as an Observable that completes on end, errors on error, and
// whose unsubscribe destroys the stream, closing its fd, even when no data ever arrived.
import { fileURLToPath } from 'node:url';

import { createPipe, type PipeReadable } from '@rxipc/core';
import { fromReadable } from '@rxipc/rx';
import { lastValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';

import { countFds, isFdOpen, killChildren, sleep, spawnNode, waitUntil } from '../../../../test/support/fs.js';

const coreFixture = (name: string) => fileURLToPath(new URL(`../../../core/test/fixtures/${name}`, import.meta.url));
const closed = (s: PipeReadable) => (s.closed ? Promise.resolve() : new Promise<void>((r) => s.once('close', () => r())));

afterEach(() => killChildren());

describe('fromReadable()', () => {
  it('emits every chunk and completes on end', async () => {
    const { readable, writable } = createPipe();
    const all = lastValueFrom(fromReadable(readable).pipe(toArray()));
    writable.write('one ');
    await sleep(5);
    writable.write('two ');
    writable.end('three');
    expect(Buffer.concat(await all).toString()).toBe('one two three');
    await closed(readable);
  });

  it('emits what a child process writes and completes when the child exits', async () => {
    const { readable, writable } = createPipe();
    const child = spawnNode(coreFixture('pipe-write-exit.mjs'), { args: ['from a child'], stdio: ['ignore', 'pipe', 'pipe', writable.fd] });
    writable.destroy();
    const all = await lastValueFrom(fromReadable(readable).pipe(toArray()));
    expect(Buffer.concat(all).toString()).toBe('from a child');
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
  });

  it('unsubscribe with no data ever arrived destroys the stream and closes its fd', async () => {
    const { readable, writable } = createPipe();
    const fd = readable.fd;
    const before = countFds();
    const seen: unknown[] = [];
    const sub = fromReadable(readable).subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e), complete: () => seen.push('complete') });
    await sleep(20);
    expect(isFdOpen(fd)).toBe(true);
    sub.unsubscribe();
    await closed(readable);
    expect(readable.destroyed).toBe(true);
    expect(countFds()).toBe(before - 1);
    expect(isFdOpen(fd)).toBe(false);
    expect(seen).toEqual([]); // no late notification after unsubscribe
    // The reader is really gone: the writer learns it from the kernel.
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      writable.once('error', resolve);
      writable.write('anyone?');
    });
    expect(err.code).toBe('EPIPE');
  });

  it('unsubscribe by take(n) mid-stream closes the fd', async () => {
    const { readable, writable } = createPipe({ packet: true });
    const before = countFds();
    const first = lastValueFrom(fromReadable<Buffer>(readable).pipe(take(2), toArray()));
    for (let i = 0; i < 5; i++) writable.write(Buffer.from(`p${i}`));
    expect((await first).map(String)).toEqual(['p0', 'p1']);
    await closed(readable);
    expect(countFds()).toBe(before - 1);
    writable.destroy();
  });

  it('a stream error is an error notification', async () => {
    const { readable, writable } = createPipe();
    const failure = Object.assign(new Error('boom'), { code: 'EBOOM' });
    const result = lastValueFrom(fromReadable(readable)).catch((e: unknown) => e);
    readable.destroy(failure);
    expect(await result).toBe(failure);
    writable.destroy();
  });

  it('a stream destroyed by its owner completes the observable', async () => {
    const { readable, writable } = createPipe();
    let completed = false;
    fromReadable(readable).subscribe({ complete: () => (completed = true) });
    readable.destroy();
    await waitUntil(() => completed, { message: 'completion' });
    writable.destroy();
  });

  describe('a stream that is already over when subscribed', () => {
    // Not `closed()`: `closed` is true as soon as destroy() returns, 'close' comes later.
    const closeEvent = (s: PipeReadable) => new Promise<void>((r) => s.once('close', () => r()));
    /** The notifications of one subscription, waited for briefly (a hang fails fast). */
    const notifications = async (obs: ReturnType<typeof fromReadable>) => {
      const seen: unknown[] = [];
      obs.subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e), complete: () => seen.push('complete') });
      await waitUntil(() => seen.length > 0, { timeout: 1000, message: 'a notification' });
      return seen;
    };

    it('ended: completes at once and closes the fd', async () => {
      const { readable, writable } = createPipe();
      const over = closeEvent(readable);
      readable.resume();
      writable.end('gone already');
      await over; // 'end', then 'close' (autoDestroy): nothing more will ever be emitted
      expect(readable.readableEnded).toBe(true);
      expect(await notifications(fromReadable(readable))).toEqual(['complete']);
      await closed(readable);
      expect(readable.destroyed).toBe(true);
    });

    it('destroyed: completes at once', async () => {
      const { readable, writable } = createPipe();
      const over = closeEvent(readable);
      readable.destroy();
      await over;
      expect(await notifications(fromReadable(readable))).toEqual(['complete']);
      writable.destroy();
    });

    it('destroyed with an error: errors with that error', async () => {
      const { readable, writable } = createPipe();
      const failure = Object.assign(new Error('boom'), { code: 'EBOOM' });
      readable.on('error', () => {}); // its owner saw the error
      const over = closeEvent(readable);
      readable.destroy(failure);
      await over;
      expect(await notifications(fromReadable(readable))).toEqual([failure]);
      writable.destroy();
    });
  });

  it('a second subscription is an error (a stream can be consumed once)', async () => {
    const { readable, writable } = createPipe();
    const obs = fromReadable(readable);
    const sub = obs.subscribe();
    await expect(lastValueFrom(obs)).rejects.toThrow(/already subscribed/);
    sub.unsubscribe();
    await closed(readable);
    writable.destroy();
  });
});
