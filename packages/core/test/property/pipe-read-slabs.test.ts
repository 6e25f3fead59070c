// Properties of the pipe reader's read slabs over the space of write sizes, pipe capacities
// and ways of consuming: the bytes read are the bytes written, in order, and every chunk ever
// received is still unchanged at the end, although GCs in between let slab memory be reused.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { createPipe, type PipeReadable, type PipeWritable, setPipeCapacity } from '@rxipc/core';
import { native } from '@rxipc/native';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Deterministic bytes: block i of a test is filled from (seed, i). */
function bytesOf(seed: number, i: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761 + i * 40503 + 1) >>> 0 || 1;
  for (let j = 0; j < size; j++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[j] = x & 0xff;
  }
  return b;
}

type Consumer = 'data' | 'readable' | 'iterator';

const scenario = fc.record({
  seed: fc.nat(),
  // Small writes (copied out of the window) and large ones (views of a slab), paced or not.
  writes: fc.array(
    fc.record({ size: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 200_000 })), pause: fc.boolean() }),
    { minLength: 1, maxLength: 40 },
  ),
  capacity: fc.constantFrom(4096, 65536, 1 << 20),
  consumer: fc.constantFrom<Consumer>('data', 'readable', 'iterator'),
  /** The consumer stops for a macrotask after every `stallEvery`-th chunk (0: never). */
  stallEvery: fc.nat({ max: 5 }),
  /** A full GC after every `gcEvery`-th chunk (0: never). */
  gcEvery: fc.nat({ max: 4 }),
});

async function writeAll(w: PipeWritable, blocks: Array<{ bytes: Buffer; pause: boolean }>): Promise<void> {
  for (const { bytes, pause } of blocks) {
    if (pause) await new Promise<void>((r, j) => w.write(bytes, (err) => (err ? j(err) : r())));
    else if (!w.write(bytes)) await new Promise<void>((r) => w.once('drain', () => r()));
  }
  await new Promise<void>((r) => w.end(() => r()));
}

async function consume(r: PipeReadable, how: Consumer, onChunk: (c: Buffer) => Promise<void> | void): Promise<void> {
  if (how === 'iterator') {
    for await (const c of r) await onChunk(c as Buffer);
    return;
  }
  if (how === 'readable') {
    await new Promise<void>((resolve, reject) => {
      let busy = false;
      const drain = async () => {
        if (busy) return;
        busy = true;
        let c: Buffer | null;
        while ((c = r.read() as Buffer | null) !== null) await onChunk(c);
        busy = false;
      };
      r.on('readable', () => void drain());
      r.once('end', () => resolve());
      r.once('error', reject);
    });
    return;
  }
  await new Promise<void>((resolve, reject) => {
    r.on('data', (c: Buffer) => {
      const p = onChunk(c);
      if (p) {
        r.pause();
        void p.then(() => r.resume());
      }
    });
    r.once('end', () => resolve());
    r.once('error', reject);
  });
}

describe('read slabs', () => {
  it('property: bytes read = bytes written, in order, and every chunk received stays unchanged to the end', async () => {
    const reusedBefore = native.testing.readSlabStats().reused;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ seed, writes, capacity, consumer, stallEvery, gcEvery }) => {
        const blocks = writes.map((w, i) => ({ bytes: bytesOf(seed, i, w.size), pause: w.pause }));
        const { readable, writable } = createPipe();
        setPipeCapacity(writable, capacity);
        const received: Array<{ chunk: Buffer; copy: Buffer }> = [];
        let n = 0;
        const onChunk = (chunk: Buffer): Promise<void> | void => {
          received.push({ chunk, copy: Buffer.from(chunk) });
          n++;
          if (gcEvery > 0 && n % gcEvery === 0) gc();
          if (stallEvery > 0 && n % stallEvery === 0) return new Promise((r) => setTimeout(r, 1));
        };
        await Promise.all([consume(readable, consumer, onChunk), writeAll(writable, blocks)]);
        gc();
        const want = Buffer.concat(blocks.map((b) => b.bytes));
        const got = Buffer.concat(received.map((r) => r.chunk));
        expect(got.length).toBe(want.length);
        expect(got.equals(want)).toBe(true);
        for (const [i, { chunk, copy }] of received.entries()) expect(chunk.equals(copy), `chunk ${i} of ${received.length}`).toBe(true);
      }),
      { numRuns: 40 },
    );
    // The GCs let slabs be reused under the chunks the runs held.
    expect(native.testing.readSlabStats().reused).toBeGreaterThan(reusedBefore);
  }, 120_000);
});
