// Properties of FIFOs: any sequence of byte arrays arrives intact and in order through two
// FIFOs and a child process; the mode on disk is exactly the requested mode minus the umask.
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { Fifo, type PipeReadable, type PipeWritable } from '@rxipc/core';

import { killChildren, makeTempDir, spawnNode, type TempDir } from '../../../../test/support/fs.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

let dir: TempDir;
beforeAll(() => {
  dir = makeTempDir('fifo-prop');
});
afterEach(() => killChildren());
afterAll(() => dir.remove());

async function writeAll(w: PipeWritable, seq: Array<{ bytes: Uint8Array; pause: boolean }>): Promise<void> {
  for (const { bytes, pause } of seq) {
    if (pause) await new Promise<void>((r, j) => w.write(bytes, (err) => (err ? j(err) : r())));
    else if (!w.write(bytes)) await new Promise<void>((r) => w.once('drain', () => r()));
  }
  await new Promise<void>((r) => w.end(() => r()));
}

function readAll(r: PipeReadable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.once('end', () => resolve(Buffer.concat(chunks)));
    r.once('error', reject);
  });
}

describe('FIFOs, cross-process', () => {
  it('property: any sequence of byte arrays arrives intact and in order (parent -> FIFO -> child -> FIFO -> parent)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ bytes: fc.uint8Array({ maxLength: 70_000 }), pause: fc.boolean() }), { maxLength: 8 }),
        async (seq) => {
          const inbound = Fifo.create(dir.unique('in'), { removeOnClose: true });
          const outbound = Fifo.create(dir.unique('out'), { removeOnClose: true });
          try {
            const child = spawnNode(fixture('fifo-echo.mjs'), { args: [inbound.path, outbound.path] });
            // Both opens wait for the child: no ENXIO, whoever comes first.
            const [w, r] = await Promise.all([inbound.openWritable({ timeout: 10_000 }), outbound.openReadable({ timeout: 10_000 })]);
            const [got] = await Promise.all([readAll(r), writeAll(w, seq)]);
            const want = Buffer.concat(seq.map((s) => s.bytes));
            expect(got.length).toBe(want.length);
            expect(got.equals(want)).toBe(true);
            expect(await child.exited, child.stderr()).toMatchObject({ code: 0, signal: null });
          } finally {
            inbound.close();
            outbound.close();
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('FIFO mode', () => {
  it('property: the mode on disk is the requested mode (default 0o600) minus the umask', () => {
    const old = process.umask();
    try {
      fc.assert(
        fc.property(fc.option(fc.integer({ min: 0, max: 0o777 }), { nil: undefined }), fc.integer({ min: 0, max: 0o777 }), (mode, umask) => {
          process.umask(umask);
          const f = Fifo.create(dir.unique('m'), { ...(mode === undefined ? {} : { mode }), removeOnClose: true });
          try {
            expect(statSync(f.path).mode & 0o777).toBe((mode ?? 0o600) & ~umask);
          } finally {
            f.close();
          }
        }),
        { numRuns: 100 },
      );
    } finally {
      process.umask(old);
    }
  });
});
