// toWritable(stream): writes every value in order with backpressure (waits for 'drain'
// when write() returns false), re-emits each value, and ends the stream on completion.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { createPipe, Fifo, type PipeWritable } from '@rxipc/core';
import { fromReadable, toWritable, type ToWritableOptions } from '@rxipc/rx';
import { config, from, lastValueFrom, Subject, throwError, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';

import { killChildren, makeTempDir, spawnNode, waitUntil } from '../../../../test/support/fs.js';

const coreFixture = (name: string) => fileURLToPath(new URL(`../../../core/test/fixtures/${name}`, import.meta.url));

afterEach(() => killChildren());

/** Records what write() returned, without changing what it does. */
function spyWrites(w: PipeWritable): boolean[] {
  const results: boolean[] = [];
  const original = w.write.bind(w) as (...a: unknown[]) => boolean;
  (w as unknown as { write: (...a: unknown[]) => boolean }).write = (...a: unknown[]) => {
    const r = original(...a);
    results.push(r);
    return r;
  };
  return results;
}

const chunk = (i: number) => Buffer.alloc(1024, i & 0xff);

describe('toWritable()', () => {
  it('a slow reader: write() returns false at some point, everything arrives in order, the stream ends', async () => {
    const { readable, writable } = createPipe({ capacity: 4096 });
    const writes = spyWrites(writable);
    const values = Array.from({ length: 200 }, (_, i) => chunk(i));
    const emitted: Buffer[] = [];
    const done = lastValueFrom(from(values).pipe(toWritable(writable), toArray()));
    // The reader takes 1 KiB every 2 ms.
    const received: Buffer[] = [];
    let ended = false;
    readable.on('end', () => (ended = true));
    const timer = setInterval(() => {
      const b = readable.read(1024) as Buffer | null;
      if (b) received.push(b);
      else if (readable.readableEnded) clearInterval(timer);
    }, 2);
    try {
      emitted.push(...(await done));
      await waitUntil(() => ended || readable.readableEnded, { timeout: 10_000, message: 'the reader to see the end' });
      readable.read(); // anything left after the last tick
    } finally {
      clearInterval(timer);
    }
    expect(writes.length).toBe(200);
    expect(writes.includes(false)).toBe(true);
    expect(emitted).toEqual(values);
    expect(Buffer.concat(received).equals(Buffer.concat(values))).toBe(true);
    expect(writable.writableFinished).toBe(true);
  });

  it('never has more than a highWaterMark and one value queued in the stream while blocked', async () => {
    const { readable, writable } = createPipe({ capacity: 4096 });
    const source = new Subject<Buffer>();
    const sub = source.pipe(toWritable(writable)).subscribe();
    let maxQueued = 0;
    for (let i = 0; i < 100; i++) {
      source.next(chunk(i));
      maxQueued = Math.max(maxQueued, writable.writableLength);
    }
    // The values wait in toWritable, not in the stream's buffer.
    expect(maxQueued).toBeLessThanOrEqual(writable.writableHighWaterMark + 1024);
    source.complete();
    const all = lastValueFrom(fromReadable<Buffer>(readable).pipe(toArray()));
    expect(Buffer.concat(await all).length).toBe(100 * 1024);
    sub.unsubscribe();
  });

  it('end: false leaves the stream open', async () => {
    const { readable, writable } = createPipe();
    await lastValueFrom(from(['a', 'b']).pipe(toWritable(writable, { end: false }), toArray()));
    expect(writable.writableEnded).toBe(false);
    writable.end('c');
    const all = await lastValueFrom(fromReadable<Buffer>(readable).pipe(toArray()));
    expect(Buffer.concat(all).toString()).toBe('abc');
  });

  it('a source error is passed on', async () => {
    const { writable, [Symbol.dispose]: dispose } = createPipe();
    const boom = new Error('boom');
    await expect(lastValueFrom(throwError(() => boom).pipe(toWritable(writable)))).rejects.toBe(boom);
    dispose();
  });

  it('a write error (EPIPE: the reader is gone) is an error notification', async () => {
    const { readable, writable } = createPipe();
    readable.destroy();
    await new Promise((r) => readable.once('close', r));
    const values = Array.from({ length: 100 }, (_, i) => chunk(i));
    await expect(lastValueFrom(from(values).pipe(toWritable(writable)))).rejects.toMatchObject({ code: 'EPIPE' });
  });

  it('an error that end() reports is an error, not a completion', async () => {
    // Streams that are not destroyed on error or finish: end() reports through its callback only.
    const failure = new Error('disk on fire');
    const failed = new Writable({ autoDestroy: false, write: (_c, _e, cb) => cb(failure) });
    failed.on('error', () => {}); // its owner saw the error, before toWritable was subscribed
    failed.write('x');
    await new Promise((r) => setImmediate(r));
    await expect(lastValueFrom(from([] as string[]).pipe(toWritable(failed), toArray()))).rejects.toBe(failure);

    const finished = new Writable({ autoDestroy: false, write: (_c, _e, cb) => cb() });
    await new Promise((r) => finished.end(r));
    await expect(lastValueFrom(from([] as string[]).pipe(toWritable(finished), toArray()))).rejects.toMatchObject({
      code: 'ERR_STREAM_ALREADY_FINISHED',
    });
  });

  it('a stream destroyed before the source completed: an error, not a hang', async () => {
    const { writable } = createPipe();
    writable.destroy();
    await new Promise((r) => writable.once('close', r));
    const seen: unknown[] = [];
    from([] as string[])
      .pipe(toWritable(writable))
      .subscribe({ error: (e) => seen.push(e), complete: () => seen.push('complete') });
    await waitUntil(() => seen.length > 0, { timeout: 1000, message: 'a notification' });
    expect(seen).toEqual([expect.objectContaining({ code: 'ERR_STREAM_DESTROYED' })]);
  });

  it('a stream destroyed (without an error) while values wait for drain errors the subscription', async () => {
    const { readable, writable } = createPipe({ capacity: 4096 });
    const source = new Subject<Buffer>();
    const seen: unknown[] = [];
    const sub = source.pipe(toWritable(writable)).subscribe({ error: (e) => seen.push(e), complete: () => seen.push('complete') });
    for (let i = 0; i < 100; i++) source.next(chunk(i)); // far more than the pipe holds: values wait
    writable.destroy();
    await waitUntil(() => seen.length > 0, { timeout: 1000, message: 'a notification after destroy' });
    expect(seen).toEqual([expect.objectContaining({ code: 'ERR_STREAM_PREMATURE_CLOSE' })]);
    sub.unsubscribe();
    readable.destroy();
  });

  it('a value written to a stream destroyed earlier errors the subscription', async () => {
    const { readable, writable } = createPipe();
    writable.destroy();
    await new Promise((r) => writable.once('close', r));
    const seen: unknown[] = [];
    const source = new Subject<string>();
    const sub = source.pipe(toWritable(writable)).subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e) });
    source.next('lost');
    await waitUntil(() => seen.length > 0, { timeout: 1000, message: 'a notification' });
    expect(seen).toEqual([expect.objectContaining({ code: 'ERR_STREAM_DESTROYED' })]);
    sub.unsubscribe();
    readable.destroy();
  });

  it('a value write() refuses by throwing (a number into a byte pipe) is an error notification: nothing uncaught, no next, no completion', async () => {
    const { readable, writable } = createPipe();
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    const previous = config.onUnhandledError;
    config.onUnhandledError = onUncaught; // where RxJS sends an error thrown inside next()
    try {
      const seen: unknown[] = [];
      from(['a', 42 as unknown as string, 'b'])
        .pipe(toWritable(writable))
        .subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e), complete: () => seen.push('complete') });
      await waitUntil(() => seen.length >= 2, { timeout: 1000, message: 'two notifications' });
      await new Promise((r) => setTimeout(r, 50)); // RxJS reports unhandled errors on a timer
      expect(seen).toEqual(['a', expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' })]);
      expect(uncaught).toEqual([]);
      // Nothing after the refused value was written, and the stream was not ended.
      expect(writable.writableEnded).toBe(false);
      writable.end();
      const all = await lastValueFrom(fromReadable<Buffer>(readable).pipe(toArray()));
      expect(Buffer.concat(all).toString()).toBe('a');
    } finally {
      process.off('uncaughtException', onUncaught);
      config.onUnhandledError = previous;
      readable.destroy();
      writable.destroy();
    }
  });

  it('misuse throws at the call, with a code: not a Writable, bad options', () => {
    const { [Symbol.dispose]: dispose, writable } = createPipe();
    try {
      for (const bad of [{}, null, undefined, 42, 'stream', { write() {} }]) {
        expect(() => toWritable(bad as unknown as Writable), String(bad)).toThrow(
          expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
        );
      }
      expect(() => toWritable(writable, null as unknown as ToWritableOptions)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      expect(() => toWritable(writable, { end: 'yes' as unknown as boolean })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('options.end') }),
      );
    } finally {
      dispose();
    }
  });

  it('into a FIFO read by a child process', async () => {
    const dir = makeTempDir('rx-to-fifo');
    try {
      const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
      const child = spawnNode(coreFixture('fifo-reader.mjs'), { args: [fifo.path, '0'] });
      const w = await fifo.openWritable({ timeout: 10_000 });
      const lines = Array.from({ length: 50 }, (_, i) => `line ${i}\n`);
      await lastValueFrom(from(lines).pipe(toWritable(w), toArray()));
      expect(await child.exited, child.stderr()).toMatchObject({ code: 0, signal: null });
      expect(child.stdout()).toBe(`opening\n${JSON.stringify({ data: lines.join('') })}\n`);
      fifo.close();
    } finally {
      dir.remove();
    }
  });
});
