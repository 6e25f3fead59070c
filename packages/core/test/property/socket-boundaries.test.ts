// Properties of socket pairs over the space of inputs: any sequence of messages of 0..64 KiB
// through a dgram or seqpacket pair arrives as the same messages in the same order (more
// than the kernel queue holds, so the writer waits on writability); a stream pair carries any
// bytes in any chunking; an end handed to another process keeps every boundary too.
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import { socketPair, type MessageSocket, type ReceivedMessage } from '@rxipc/core';

import { countFds, killChildren, spawnNode } from '../../../../test/support/fs.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
afterEach(() => killChildren());

/** Any sequence of messages of 0..64 KiB, mostly small, some empty. */
const messages = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 65536 }).map((n) => new Uint8Array(n).fill(n % 253)) },
  ),
  { maxLength: 40 },
);

async function writeAll(w: MessageSocket | NodeJS.WritableStream, seq: Uint8Array[]): Promise<void> {
  for (const m of seq) {
    if (!(w as NodeJS.WritableStream).write(m)) await new Promise<void>((r) => (w as NodeJS.WritableStream).once('drain', () => r()));
  }
}

function readMessages(r: MessageSocket, count: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    if (count === 0) resolve(got);
    r.on('data', (m: ReceivedMessage) => {
      got.push(m.data);
      if (got.length === count) resolve(got);
    });
    r.once('error', reject);
  });
}

describe.each(['dgram', 'seqpacket'] as const)('%s pair boundaries (property)', (type) => {
  it('any sequence of messages 0..64 KiB arrives identical, in order, nothing merged or split', async () => {
    const fds = countFds();
    await fc.assert(
      fc.asyncProperty(messages, fc.boolean(), async (seq, slowReader) => {
        const [a, b] = socketPair({ type, highWaterMark: 4 });
        try {
          const reading = slowReader
            ? (async () => {
                await new Promise((r) => setTimeout(r, 5)); // the queue fills first
                return readMessages(b, seq.length);
              })()
            : readMessages(b, seq.length);
          await writeAll(a, seq);
          const got = await reading;
          expect(got.length).toBe(seq.length);
          got.forEach((m, i) => expect(Buffer.compare(m, Buffer.from(seq[i]!))).toBe(0));
        } finally {
          a.destroy();
          b.destroy();
        }
      }),
      { numRuns: 40 },
    );
    expect(countFds()).toBe(fds);
  });

  it('across processes: a child echoes every message unchanged through an inherited end', async () => {
    await fc.assert(
      fc.asyncProperty(messages, async (seq) => {
        const [a, childEnd] = socketPair({ type });
        const c = spawnNode(fixture('socket-echo.mjs'), { stdio: ['pipe', 'pipe', 'pipe', childEnd.fd] });
        childEnd.destroy();
        try {
          const reading = readMessages(a, seq.length);
          await writeAll(a, seq);
          const got = await reading;
          got.forEach((m, i) => expect(Buffer.compare(m, Buffer.from(seq[i]!))).toBe(0));
        } finally {
          a.destroy();
          c.kill();
          await c.exited; // its stdio pipes close with it
        }
      }),
      { numRuns: 5 },
    );
  });
});

describe('stream pair (property)', () => {
  it('any bytes in any chunking arrive intact and in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 70_000 }), { maxLength: 8 }), async (chunks) => {
        const [a, b] = socketPair({ type: 'stream' });
        const got: Buffer[] = [];
        b.on('data', (c: Buffer) => got.push(c));
        const ended = new Promise<void>((r) => b.once('end', () => r()));
        a.resume();
        await writeAll(a, chunks);
        a.end();
        await ended;
        expect(Buffer.concat(got).equals(Buffer.concat(chunks.map((c) => Buffer.from(c))))).toBe(true);
        a.destroy();
        b.destroy();
      }),
      { numRuns: 30 },
    );
  });
});
