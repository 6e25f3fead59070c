// Cancelling a receive at any moment while messages arrive: every message is delivered to
// exactly one receive or left in the queue — never dropped, never duplicated — whether the
// wait ends by AbortSignal, timeout or close().
import { MessageQueue, type Message } from '@rxipc/core';
import { tasks } from '@rxipc/native';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { drain, msgPeer, sleep, startChild, useQueues, waitUntil } from '../../../../test/support/ipc.js';

const queues = useQueues();

type Cycle = { how: 'abort' | 'timeout' | 'close'; waitMs: number };

const cycleArb: fc.Arbitrary<Cycle> = fc.record({
  how: fc.constantFrom('abort', 'timeout', 'close'),
  waitMs: fc.integer({ min: 0, max: 2 }),
});

describe('a receive cancelled as a message arrives', () => {
  it('delivers it or leaves it in the queue, never drops or duplicates it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cycleArb, { minLength: 20, maxLength: 60 }), async (cycles) => {
        const q = queues.create();
        try {
          const n = cycles.length;
          // One message every 300 µs from C while we start and cancel receives.
          const peer = startChild(msgPeer(), ['seq', String(q.id), '1', String(n), '1', '300']);
          const got: string[] = [];
          const keep = (m: Message) => got.push(m.data.toString());
          for (const c of cycles) {
            if (c.how === 'abort') {
              const ac = new AbortController();
              const p = q.receive({ signal: ac.signal }).then(keep, (e: Error) => expect(e.name).toBe('AbortError'));
              await sleep(c.waitMs);
              ac.abort();
              await p;
            } else if (c.how === 'timeout') {
              await q.receive({ timeout: c.waitMs }).then(keep, (e: Error & { code?: string }) => expect(e.code).toBe('ETIMEDOUT'));
            } else {
              const other = MessageQueue.fromId(q.id);
              const p = other.receive().then(keep, (e: Error & { code?: string }) => expect(e.code).toBe('ERR_RXIPC_CLOSED'));
              await sleep(c.waitMs);
              other.close();
              await p;
            }
          }
          const r = await peer.done;
          expect(r.code, r.stderr).toBe(0);
          await waitUntil(() => tasks.pending === 0, 'every receive to end');
          const all = [...got, ...drain(q).map((m) => m.data.toString())];
          expect(all.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        } finally {
          q.remove();
        }
      }),
      { numRuns: 15 },
    );
  });
});
