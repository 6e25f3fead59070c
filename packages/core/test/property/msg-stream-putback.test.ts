// Properties of the message read stream: whatever the queue holds, the highWaterMark, how
// much is read and when the stream is destroyed,
//   - it never holds more than highWaterMark messages taken out of the kernel, and
//   - after destroy, the queue holds exactly what was sent minus what was read (held and
//     in-flight messages are put back, nothing is lost or duplicated).
import { once } from 'node:events';

import type { Message, MessageReadStream } from '@rxipc/core';
import { tasks } from '@rxipc/native';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { drain, multiset, sleep, useQueues, waitUntil } from '../../../../test/support/ipc.js';

const queues = useQueues();

async function readN(stream: MessageReadStream, k: number): Promise<Message[]> {
  const out: Message[] = [];
  while (out.length < k) {
    const m = stream.read() as Message | null;
    if (m === null) await once(stream, 'readable');
    else out.push(m);
  }
  return out;
}

describe('MessageReadStream', () => {
  it('holds at most highWaterMark and puts back everything unread on destroy', async () => {
    const scenario = fc
      .record({
        types: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 80 }),
        selector: fc.constantFrom(0, 1, 2),
        hwm: fc.integer({ min: 1, max: 16 }),
        readFraction: fc.double({ min: 0, max: 1, noNaN: true }),
        pauseMs: fc.constantFrom(0, 0, 1, 3),
        lateMessages: fc.integer({ min: 0, max: 5 }),
      })
      .map((s) => {
        const matching = s.types.filter((t) => s.selector === 0 || t === s.selector).length;
        return { ...s, read: Math.floor(matching * s.readFraction) };
      });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ types, selector, hwm, read, pauseMs, lateMessages }) => {
        const q = queues.create();
        try {
          const sent = types.map((type, i) => ({ type, data: Buffer.from(`m${i}`) }));
          for (const m of sent) expect(q.trySend(m.type, m.data)).toBe(true);
          const stream = q.createReadStream({ type: selector, highWaterMark: hwm });
          const consumed = await readN(stream, read);
          await sleep(pauseMs);
          // Held = taken out of the kernel but not read.
          expect(sent.length - q.stat().qnum - consumed.length).toBeLessThanOrEqual(hwm);
          // Messages arriving while the stream is being destroyed are not lost either.
          const late = Array.from({ length: lateMessages }, (_, i) => ({ type: 1 + (i % 3), data: Buffer.from(`late${i}`) }));
          for (const m of late) q.trySend(m.type, m.data);
          stream.destroy();
          await waitUntil(() => tasks.pending === 0, 'the receiver (and its put-backs) to finish');
          const left = drain(q);
          expect(multiset([...left, ...consumed])).toEqual(multiset([...sent, ...late]));
          expect(consumed.every((m) => selector === 0 || m.type === selector)).toBe(true);
        } finally {
          q.remove();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('delivers matching messages in queue order whatever the highWaterMark', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 100 }),
        fc.integer({ min: 1, max: 20 }),
        async (types, hwm) => {
          const q = queues.create();
          try {
            types.forEach((t, i) => q.trySend(t, String(i)));
            const want = types.flatMap((t, i) => (t === 2 ? [String(i)] : []));
            const stream = q.createReadStream({ type: 2, highWaterMark: hwm });
            const got = (await readN(stream, want.length)).map((m) => m.data.toString());
            stream.destroy();
            expect(got).toEqual(want);
            await waitUntil(() => tasks.pending === 0, 'the receiver to finish');
            expect(drain(q).every((m) => m.type !== 2)).toBe(true);
          } finally {
            q.remove();
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
