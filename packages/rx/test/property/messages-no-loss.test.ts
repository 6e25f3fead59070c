// (c) No message lost or duplicated: while a C child sends N numbered messages, the parent
// subscribes and unsubscribes messages() on any schedule (timed, immediate, or from inside
// next after k messages); what the subscriptions got plus what is left in the queue is
// exactly what was sent, each message once.
import type { Message, MessageQueue } from '@rxipc/core';
import { tasks } from '@rxipc/native';
import { messages } from '@rxipc/rx';
import fc from 'fast-check';
import { take } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { drain, msgPeer, sleep, startChild, useQueues, waitUntil } from '../../../../test/support/ipc.js';

const queues = useQueues();
const N = 2000;

type Step =
  | { kind: 'timed'; onMs: number; offMs: number; batch: number }
  | { kind: 'take'; count: number; offMs: number; batch: number }
  | { kind: 'immediate'; offMs: number; batch: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('timed' as const), onMs: fc.integer({ min: 0, max: 12 }), offMs: fc.integer({ min: 0, max: 6 }), batch: fc.constantFrom(1, 16, 256) }),
  fc.record({ kind: fc.constant('take' as const), count: fc.integer({ min: 1, max: 300 }), offMs: fc.integer({ min: 0, max: 6 }), batch: fc.constantFrom(1, 16, 256) }),
  fc.record({ kind: fc.constant('immediate' as const), offMs: fc.integer({ min: 0, max: 3 }), batch: fc.constantFrom(1, 256) }),
);

/** Runs one subscription step; everything it receives goes to `got`. */
async function runStep(q: MessageQueue, step: Step, got: string[], senderDone: () => boolean): Promise<void> {
  const next = (m: Message) => got.push(m.data.toString());
  if (step.kind === 'timed') {
    const sub = messages(q, { batch: step.batch }).subscribe(next);
    await sleep(step.onMs);
    sub.unsubscribe();
  } else if (step.kind === 'take') {
    let done = false;
    const sub = messages(q, { batch: step.batch })
      .pipe(take(step.count))
      .subscribe({ next, complete: () => (done = true) });
    // Until it has its count, or the sender finished and nothing more will come.
    while (!done && !(senderDone() && q.stat().qnum === 0)) await sleep(1);
    sub.unsubscribe();
  } else {
    messages(q, { batch: step.batch }).subscribe(next).unsubscribe();
  }
  await sleep(step.offMs);
}

describe('messages() under any subscribe/unsubscribe schedule', () => {
  it('(c) loses and duplicates nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 10 }), fc.constantFrom(1, 2, 4), async (schedule, pauseMs) => {
        const q = queues.create();
        try {
          // N messages "0".."N-1", in bursts of 100 with pauses: the sends overlap the schedule.
          const sender = startChild(msgPeer(), ['seq', String(q.id), '1', String(N), '100', String(pauseMs * 1000)]);
          let finished = false;
          const done = sender.done.then((r) => {
            finished = true;
            return r;
          });
          const got: string[] = [];
          for (const step of schedule) await runStep(q, step, got, () => finished);
          const r = await done;
          expect(r.code, r.stderr).toBe(0);
          // Put-backs of messages taken at unsubscribe time finish as tasks too.
          await waitUntil(() => tasks.pending === 0, 'receivers and put-backs to finish');
          const rest = drain(q).map((m) => m.data.toString());
          const all = [...got, ...rest];
          expect(all.length).toBe(N);
          expect(new Set(all).size).toBe(N);
          expect([...all].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
        } finally {
          q.remove();
        }
      }),
      { numRuns: 15 },
    );
  });
});
