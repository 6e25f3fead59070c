// "Taken means delivered or returned" when the consumer's worker_thread is terminated in the
// middle of a delivery: every message sent is afterwards either seen by the worker's
// subscriber or back in the queue — none lost (at least once: a message both seen and put
// back is allowed). With room in the queue, and with a producer keeping it full (then the
// put-back has to wait for room rather than give up).
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { MessageQueue } from '@rxipc/core';

import { drain, msgPeer, shortWaiterIdle, sleep, startChild, useQueues, waitUntil } from '../../../../test/support/ipc.js';

const WORKER = fileURLToPath(new URL('../fixtures/worker-subscriber.mjs', import.meta.url));

const queues = useQueues();
let restoreIdle: () => void;
beforeAll(() => {
  restoreIdle = shortWaiterIdle(20);
});
afterAll(() => restoreIdle());

interface Run {
  /** Indices the worker's subscriber saw. */
  seen: Set<number>;
  /** How many deliveries the subscriber had when it was terminated. */
  delivered: number;
}

/**
 * Starts the worker on `q`, waits until it has seen `terminateAfter` messages, terminates it
 * mid-delivery and returns what it saw.
 */
async function subscribeAndTerminate(q: MessageQueue, n: number, terminateAfter: number): Promise<Run> {
  const shared = new SharedArrayBuffer(4 * (n + 1));
  const seen = new Int32Array(shared);
  const worker = new Worker(WORKER, { workerData: { qid: q.id, seen: shared, workUs: 200, batch: 64 } });
  const errors: string[] = [];
  worker.on('message', (m: { error?: string }) => m.error && errors.push(m.error));
  worker.on('error', (e) => errors.push(String(e)));
  try {
    await waitUntil(() => Atomics.load(seen, 0) >= terminateAfter || errors.length > 0, 'the worker to be mid-way', 10_000);
  } finally {
    await worker.terminate();
  }
  expect(errors).toEqual([]);
  const delivered = Atomics.load(seen, 0);
  const set = new Set<number>();
  for (let i = 0; i < n; i++) if (Atomics.load(seen, 1 + i) === 1) set.add(i);
  return { seen: set, delivered };
}

/** Indices 0..n-1 neither seen nor found in the queue. */
function lost(n: number, seen: Set<number>, back: Array<{ data: Buffer }>): number[] {
  const returned = new Set(back.map((m) => Number(m.data.toString())));
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!seen.has(i) && !returned.has(i)) out.push(i);
  return out;
}

describe('a worker terminated with messages taken but not delivered', () => {
  it('room in the queue: every message is seen or back in the queue', async () => {
    const N = 2000;
    const q = queues.create();
    for (let i = 0; i < N; i++) expect(q.trySend(1, String(i))).toBe(true);
    const { seen, delivered } = await subscribeAndTerminate(q, N, 300);
    expect(delivered, 'terminated before everything was delivered').toBeLessThan(N);
    const back = drain(q);
    const missing = lost(N, seen, back);
    expect(missing, `seen ${seen.size}, back in the queue ${back.length}`).toEqual([]);
  });

  // Issue 6 defect 1: the native put-back used to send with IPC_NOWAIT and give up at the
  // first EAGAIN, so with a producer keeping the queue full, the batch being delivered and
  // any batch in the outbox were lost. Now they wait for room on the background put-back.
  it('a producer keeping the queue full: every message is seen or back in the queue once the producer stops', async () => {
    const N = 3000;
    const q = queues.create();
    q.set({ maxBytes: 512 }); // ~130 messages: the producer keeps it full
    const producer = startChild(msgPeer(), ['seq', String(q.id), '1', String(N), String(N), '0'], { timeoutMs: 20_000 });
    let producerDone = false;
    void producer.done.then(() => (producerDone = true));
    await waitUntil(() => q.stat().qnum > 50, 'the producer to fill the queue');
    const { seen, delivered } = await subscribeAndTerminate(q, N, 400);
    expect(delivered, 'terminated before everything was delivered').toBeLessThan(N);
    // Nobody receives any more: let the producer finish its N sends by draining, then take the rest.
    const back: Array<{ type: number; data: Buffer }> = [];
    while (!producerDone) {
      back.push(...drain(q));
      await sleep(2);
    }
    const r = await producer.done;
    expect(r.code, r.stderr).toBe(0);
    back.push(...drain(q));
    const missing = lost(N, seen, back);
    expect(missing, `seen ${seen.size}, back in the queue ${back.length}; lost ${missing.length}`).toEqual([]);
  });
});
