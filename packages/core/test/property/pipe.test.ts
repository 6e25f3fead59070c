// Properties of pipes over the space of inputs: any sequence of byte arrays, written in any
// chunking and pacing, arrives intact and in order through a pipe to a child and back;
// packet mode preserves every boundary of packets up to PIPE_BUF, in one process and
// across processes; the capacity the kernel picks follows its rounding rule.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import { createPipe, getPipeCapacity, PIPE_BUF_SIZE, pipeMaxSize, type PipeReadable, type PipeWritable, setPipeCapacity } from '@rxipc/core';

import { killChildren, spawnNode } from '../../../../test/support/fs.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

afterEach(() => killChildren());

interface Write {
  bytes: Uint8Array;
  /** Wait for this write to be flushed to the kernel before the next one. */
  pause: boolean;
}

/** Any sequence of writes of up to ~70 KB each (more than a pipe holds), in any pacing. */
const writes = (maxLength = 70_000) =>
  fc.array(fc.record({ bytes: fc.uint8Array({ maxLength }), pause: fc.boolean() }), { maxLength: 8 });

/** Writes in order, honouring backpressure, then ends the stream. */
async function writeAll(w: PipeWritable, seq: Write[]): Promise<void> {
  for (const { bytes, pause } of seq) {
    if (pause) await new Promise<void>((r, j) => w.write(bytes, (err) => (err ? j(err) : r())));
    else if (!w.write(bytes)) await new Promise<void>((r) => w.once('drain', () => r()));
  }
  await new Promise<void>((r) => w.end(() => r()));
}

function readAll(r: PipeReadable): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.once('end', () => resolve(chunks));
    r.once('error', reject);
  });
}

describe('pipes, cross-process', () => {
  it('property: any sequence of byte arrays arrives intact and in order (parent -> child -> parent)', async () => {
    await fc.assert(
      fc.asyncProperty(writes(), async (seq) => {
        const toChild = createPipe();
        const fromChild = createPipe();
        const child = spawnNode(fixture('pipe-echo.mjs'), {
          stdio: ['ignore', 'pipe', 'pipe', toChild.readable.fd, fromChild.writable.fd],
        });
        toChild.readable.destroy();
        fromChild.writable.destroy();
        const [received] = await Promise.all([readAll(fromChild.readable), writeAll(toChild.writable, seq)]);
        const want = Buffer.concat(seq.map((s) => s.bytes));
        const got = Buffer.concat(received);
        expect(got.length).toBe(want.length);
        expect(got.equals(want)).toBe(true);
        expect(await child.exited, child.stderr()).toMatchObject({ code: 0, signal: null });
      }),
      { numRuns: 15 },
    );
  });
});

describe('packet mode', () => {
  const packet = fc.uint8Array({ maxLength: PIPE_BUF_SIZE });

  it('property: every packet of at most PIPE_BUF bytes arrives as exactly one chunk (empty writes make none)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(packet, { maxLength: 40 }), fc.boolean(), async (packets, paced) => {
        const { readable, writable } = createPipe({ packet: true });
        const got = readAll(readable);
        // Back to back (several writes queue up and must not be merged), or one at a time.
        await writeAll(writable, packets.map((bytes) => ({ bytes, pause: paced })));
        const chunks = await got;
        const want = packets.filter((p) => p.length > 0);
        expect(chunks.map((c) => c.length)).toEqual(want.map((p) => p.length));
        chunks.forEach((c, i) => expect(c.equals(want[i]!)).toBe(true));
      }),
      { numRuns: 100 },
    );
  });

  it('property: boundaries survive the trip to a child reading its inherited end', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(packet, { maxLength: 30 }), async (packets) => {
        const { readable, writable } = createPipe({ packet: true });
        const child = spawnNode(fixture('pipe-packets.mjs'), { stdio: ['ignore', 'pipe', 'pipe', readable.fd] });
        readable.destroy();
        await writeAll(writable, packets.map((bytes) => ({ bytes, pause: false })));
        expect(await child.exited, child.stderr()).toMatchObject({ code: 0, signal: null });
        const want = packets
          .filter((p) => p.length > 0)
          .map((p) => `${p.length} ${createHash('sha1').update(p).digest('hex')}\n`)
          .join('');
        expect(child.stdout()).toBe(`${want}end\n`);
      }),
      { numRuns: 10 },
    );
  });

  it('property: a write of any size is split into PIPE_BUF packets, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 5 * PIPE_BUF_SIZE + 7 }), async (bytes) => {
        const { readable, writable } = createPipe({ packet: true });
        const got = readAll(readable);
        writable.end(bytes);
        const chunks = await got;
        const sizes = chunks.map((c) => c.length);
        const full = Math.floor(bytes.length / PIPE_BUF_SIZE);
        const rest = bytes.length % PIPE_BUF_SIZE;
        expect(sizes).toEqual([...Array<number>(full).fill(PIPE_BUF_SIZE), ...(rest ? [rest] : [])]);
        expect(Buffer.concat(chunks).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});

describe('pipe capacity', () => {
  it('property: any size up to pipe-max-size becomes the next power of two, at least a page', () => {
    const max = pipeMaxSize();
    const p = createPipe();
    try {
      fc.assert(
        fc.property(fc.integer({ min: 1, max }), (size) => {
          const want = Math.max(4096, 2 ** Math.ceil(Math.log2(size)));
          expect(setPipeCapacity(p.writable, size)).toBe(want);
          expect(getPipeCapacity(p.readable)).toBe(want);
        }),
        { numRuns: 100 },
      );
    } finally {
      p[Symbol.dispose]();
    }
  });
});
