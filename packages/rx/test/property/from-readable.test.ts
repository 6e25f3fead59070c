// Teardown undoes exactly what subscribe set up: whatever was written and whenever the
// subscriber leaves, what it got is a prefix of what was written, nothing arrives after the
// unsubscribe, and the read end's fd is closed.
import { createPipe } from '@rxipc/core';
import { fromReadable } from '@rxipc/rx';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { countFds, isFdOpen, sleep } from '../../../../test/support/fs.js';

type Action = { kind: 'write'; bytes: Uint8Array } | { kind: 'tick' };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 3000 }) }),
  fc.constant({ kind: 'tick' as const }),
);

describe('fromReadable() lifecycle', () => {
  it('property: any writes, unsubscribe at any point: prefix received, nothing after, fd closed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 20 }), fc.nat(), async (actions, cut) => {
        const at = cut % (actions.length + 1);
        const { readable, writable } = createPipe();
        writable.on('error', () => undefined); // EPIPE once the reader is gone: expected
        const fd = readable.fd;
        const before = countFds();
        const got: Buffer[] = [];
        let left = false;
        let late = 0;
        const sub = fromReadable<Buffer>(readable).subscribe({
          next: (b) => (left ? late++ : got.push(b)),
          error: () => left && late++,
          complete: () => left && late++,
        });
        const written: Uint8Array[] = [];
        for (let i = 0; i <= actions.length; i++) {
          if (i === at) {
            sub.unsubscribe();
            left = true;
          }
          const a = actions[i];
          if (a?.kind === 'write') {
            written.push(a.bytes);
            writable.write(a.bytes);
          } else if (a?.kind === 'tick') {
            await sleep(1);
          }
        }
        if (!readable.closed) await new Promise((r) => readable.once('close', r));
        await sleep(2);
        expect(late).toBe(0);
        expect(isFdOpen(fd)).toBe(false);
        const all = Buffer.concat(written);
        const received = Buffer.concat(got);
        expect(all.subarray(0, received.length).equals(received)).toBe(true);
        writable.destroy();
        if (!writable.closed) await new Promise((r) => writable.once('close', r));
        expect(countFds()).toBe(before - 2);
      }),
      { numRuns: 60 },
    );
  });
});
