// The pipe and FIFO readers' read slabs against the real kernel and a real writing child:
// chunks stay unchanged while their slabs' memory is reused under them, a held chunk keeps one
// slab and no more, kept memory goes back to the OS when readers close or idle, small reads
// are copies, slab memory never leaves the thread, and a paused reader stops reading.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { afterEach, describe, expect, it } from 'vitest';

import { createPipe, type PipeReadable } from '@rxipc/core';
import { forceFallbackSlabsForTests } from '@rxipc/core/internal';
import { native } from '@rxipc/native';

import { killChildren, sleep, spawnNode, waitUntil } from '../../../../test/support/fs.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SLAB = native.constants.READ_SLAB_SIZE;
const stats = () => native.testing.readSlabStats();

afterEach(() => killChildren());

/** The byte at stream position p of pipe-pattern.mjs. */
const patternByte = (p: number) => (p * 7 + (p >>> 11) * 13) & 0xff;

/** Index of the first byte of `chunk` (at stream position `pos`) that is not the pattern's, or -1. */
function firstMismatch(chunk: Uint8Array, pos: number): number {
  for (let i = 0; i < chunk.length; i++) if (chunk[i] !== patternByte(pos + i)) return i;
  return -1;
}

/** A reader of `total` pattern bytes written by a child in writes of `size` bytes. */
function patternReader(total: number, size: number): { readable: PipeReadable; exited: Promise<unknown> } {
  const { readable, writable } = createPipe();
  const child = spawnNode(fixture('pipe-pattern.mjs'), { args: [String(total), String(size)], stdio: ['ignore', 'pipe', 'pipe', writable.fd] });
  writable.destroy();
  return { readable, exited: child.exited.then((e) => expect(e, child.stderr()).toMatchObject({ code: 0, signal: null })) };
}

describe('read slabs', () => {
  it('chunks received earlier are unchanged after many more reads, while slab memory is reused', async () => {
    const total = 96 * 1024 * 1024;
    const { readable, exited } = patternReader(total, 64 * 1024);
    const reusedBefore = stats().reused;
    const held: Array<{ chunk: Buffer; pos: number }> = [];
    let pos = 0;
    let reads = 0;
    readable.on('data', (chunk: Buffer) => {
      // Every 50th chunk is kept (the rest is garbage at once), and a GC every 64 reads makes
      // the slabs of dropped chunks come back for reuse while the kept ones must not.
      if (reads % 50 === 0) {
        expect(firstMismatch(chunk, pos)).toBe(-1);
        held.push({ chunk, pos });
      }
      if (++reads % 64 === 0) gc();
      pos += chunk.length;
    });
    await new Promise((r) => readable.once('end', r));
    await exited;
    expect(pos).toBe(total);
    expect(stats().reused - reusedBefore).toBeGreaterThan(50);
    for (const { chunk, pos: at } of held) expect(firstMismatch(chunk, at), `chunk at ${at}`).toBe(-1);
    expect(held.some(({ chunk }) => chunk.buffer.byteLength === SLAB)).toBe(true);
  });

  it('where the addon cannot hand out slabs (external ArrayBuffers refused, as in Electron), readers take plain ones: same bytes, chunks unchanged', async () => {
    forceFallbackSlabsForTests(true);
    try {
      const liveBefore = stats().live;
      const total = 8 * 1024 * 1024;
      const { readable, exited } = patternReader(total, 64 * 1024);
      const held: Array<{ chunk: Buffer; pos: number }> = [];
      let pos = 0;
      readable.on('data', (chunk: Buffer) => {
        expect(firstMismatch(chunk, pos)).toBe(-1);
        held.push({ chunk, pos });
        pos += chunk.length;
      });
      await new Promise((r) => readable.once('end', r));
      await exited;
      expect(pos).toBe(total);
      for (const { chunk, pos: at } of held) expect(firstMismatch(chunk, at), `chunk at ${at}`).toBe(-1);
      expect(stats().live).toBe(liveBefore); // none of the addon's slabs were taken
    } finally {
      forceFallbackSlabsForTests(false);
    }
  });

  it('a held chunk keeps its one slab alive and nothing more', async () => {
    const { readable, exited } = patternReader(64 * 1024 * 1024, 64 * 1024);
    let first: Buffer | undefined;
    let reads = 0;
    let maxLive = 0;
    readable.on('data', (chunk: Buffer) => {
      first ??= chunk;
      if (++reads % 64 === 0) {
        gc();
        maxLive = Math.max(maxLive, stats().live);
      }
    });
    await new Promise((r) => readable.once('end', r));
    await exited;
    await new Promise((r) => setImmediate(r));
    gc();
    await waitUntil(() => stats().live <= 2, { message: 'slabs of dropped chunks finalized', timeout: 2000 });
    // Still alive: the held chunk's slab, and the cursor's slab until the stream is collected.
    expect(first!.buffer.byteLength).toBe(SLAB);
    expect(firstMismatch(first!, 0)).toBe(-1);
    // While reading, what stayed alive was bounded by the GC cadence, not by the bytes read.
    expect(maxLive * SLAB).toBeLessThan(24 * 1024 * 1024);
  });

  it('kept slab memory is returned to the OS when the last reader closes, and after a second idle', async () => {
    const a = patternReader(16 * 1024 * 1024, 64 * 1024);
    const got = new Promise((r) => a.readable.on('data', () => {}).once('end', r));
    // A second reader stays open and idle, so closing the first does not release everything.
    const idle = createPipe();
    idle.readable.resume();
    await got;
    await a.exited;
    gc();
    await waitUntil(() => stats().free > 0, { message: 'freed slabs kept for reuse', timeout: 2000 });
    await waitUntil(() => stats().free === 0, { message: 'kept slabs released after an idle second', timeout: 3000 });
    // The idle reader still works, and takes slabs again.
    const more = new Promise<Buffer>((r) => idle.readable.once('data', r));
    idle.writable.write(Buffer.alloc(40_000, 7));
    expect((await more).equals(Buffer.alloc(40_000, 7))).toBe(true);
    idle.readable.destroy();
    idle.writable.destroy();
    await new Promise((r) => idle.readable.once('close', r));
    gc();
    await sleep(20);
    expect(stats().free).toBe(0);
  });

  it('slab memory is kept while any reader that read is open, however the readers end', async () => {
    const readers = [createPipe(), createPipe(), createPipe()];
    const neverRead = createPipe();
    for (const p of readers) {
      const got = new Promise((r) => p.readable.once('data', r));
      p.writable.write(Buffer.alloc(64 * 1024, 1));
      await got;
    }
    // Slabs of chunks nobody holds come back and are kept while readers are open.
    const churn = createPipe();
    const churned = new Promise((r) => churn.readable.on('data', () => {}).once('end', r));
    for (let i = 0; i < 64; i++) churn.writable.write(Buffer.alloc(64 * 1024, i));
    churn.writable.end();
    await churned;
    gc();
    await waitUntil(() => stats().free > 0, { message: 'freed slabs kept for reuse', timeout: 2000 });
    // Ended by an error, by destroy() after its 'close' listeners were removed, by the end of data.
    readers[0]!.readable.destroy(new Error('gone'));
    readers[0]!.readable.on('error', () => {});
    readers[1]!.readable.removeAllListeners('close');
    readers[1]!.readable.destroy();
    readers[2]!.writable.end();
    readers[2]!.readable.resume();
    await new Promise((r) => readers[2]!.readable.once('close', r));
    neverRead.readable.destroy();
    expect(stats().free).toBe(0);
    for (const p of [...readers, neverRead]) p.writable.destroy();
  });

  it('reads shorter than 16 KiB are copies that keep no slab alive; longer ones are views of a slab', async () => {
    const { readable, writable } = createPipe();
    const chunks: Buffer[] = [];
    readable.on('data', (c: Buffer) => chunks.push(c));
    for (const size of [100, 5000, 16 * 1024 - 1, 16 * 1024, 64 * 1024]) {
      const n = chunks.length;
      writable.write(Buffer.alloc(size, size & 0xff));
      await waitUntil(() => chunks.slice(n).reduce((s, c) => s + c.length, 0) === size, { message: `${size} bytes`, timeout: 2000 });
    }
    writable.end();
    await new Promise((r) => readable.once('end', r));
    const sizes = chunks.map((c) => c.length);
    expect(sizes.slice(0, 3)).toEqual([100, 5000, 16 * 1024 - 1]);
    for (const c of chunks) {
      expect(c.buffer.byteLength === SLAB, `${c.length}-byte chunk`).toBe(c.length >= 16 * 1024);
      expect(c.equals(Buffer.alloc(c.length, c[0]))).toBe(true);
    }
  });

  it('a chunk\'s slab never moves to another thread: a transfer copies it, the chunk stays attached and intact', async () => {
    const { readable, writable } = createPipe();
    const got = new Promise<Buffer>((r) => readable.once('data', r));
    writable.write(Buffer.alloc(32 * 1024, 9));
    const chunk = await got;
    expect(chunk.buffer.byteLength).toBe(SLAB);
    // Node copies an external ArrayBuffer that is in a transfer list instead of detaching it.
    const slab = chunk.buffer as ArrayBuffer;
    const copy = new Uint8Array(structuredClone(slab, { transfer: [slab] }));
    copy.fill(1);
    const { port1, port2 } = new MessageChannel();
    const posted = new Promise<Buffer>((r) => port2.once('message', r));
    port1.postMessage(chunk, [slab]);
    const received = await posted;
    received.fill(2);
    port1.close();
    port2.close();
    expect(chunk.buffer.byteLength).toBe(SLAB);
    expect(chunk.equals(Buffer.alloc(32 * 1024, 9))).toBe(true);
    readable.destroy();
    writable.destroy();
  });

  it('a worker reading through slabs can be terminated while it holds chunks; this thread reads on', async () => {
    const core = new URL('../../dist/index.js', import.meta.url).href;
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       import(${JSON.stringify(core)}).then(({ createPipe }) => {
         const { readable, writable } = createPipe();
         const held = [];
         let bytes = 0;
         readable.on('data', (c) => { held.push(c); bytes += c.length; if (bytes === 8 << 20) parentPort.postMessage(held.length); });
         const block = Buffer.alloc(64 * 1024, 3);
         let written = 0;
         (function write() {
           while (written < 8 << 20) { written += block.length; if (!writable.write(block)) return writable.once('drain', write); }
         })();
       });`,
      { eval: true },
    ).on('error', () => {});
    const held = await new Promise<number>((r) => worker.once('message', r));
    expect(held).toBeGreaterThan(10);
    await worker.terminate();
    const { readable, writable } = createPipe();
    const got = new Promise<Buffer>((r) => readable.once('data', r));
    writable.write(Buffer.alloc(64 * 1024, 5));
    expect((await got).equals(Buffer.alloc(64 * 1024, 5))).toBe(true);
    readable.destroy();
    writable.destroy();
  });

  it('a paused reader stops reading: the writing child waits, nothing more is taken from the kernel', async () => {
    const total = 4 * 1024 * 1024;
    const { readable, exited } = patternReader(total, 64 * 1024);
    let pos = 0;
    let paused = false;
    readable.on('data', (c: Buffer) => {
      expect(firstMismatch(c, pos)).toBe(-1);
      pos += c.length;
      if (pos >= 256 * 1024 && !paused) {
        paused = true;
        readable.pause();
      }
    });
    await waitUntil(() => paused, { message: 'paused' });
    await sleep(100);
    const taken = readable.bytesRead;
    await sleep(100);
    // Buffered in the stream: at most its highWaterMark and one more read.
    expect(readable.bytesRead).toBe(taken);
    expect(taken - pos).toBeLessThanOrEqual(readable.readableHighWaterMark + 64 * 1024);
    readable.resume();
    await new Promise((r) => readable.once('end', r));
    await exited;
    expect(pos).toBe(total);
  });
});
