// What a queue object takes out of the kernel ahead of delivery is bounded and comes back:
// under churn against a producer that keeps the queue full, at process exit, after
// close(), and when a paused consumer's queue is removed.
import { MessageQueue } from '@rxipc/core';
import { queueInternals } from '@rxipc/core/internal';
import { messages } from '@rxipc/rx';
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';

import { drain, msgPeer, peerLines, runChild, sleep, startChild, useQueues, waitUntil } from '../../../../test/support/ipc.js';

const queues = useQueues();
const fixture = fileURLToPath(new URL('../fixtures/msg-exit.mjs', import.meta.url));

describe('put-back under churn (issue 6, defect 2)', () => {
  it('200 subscriptions that leave on their first message, against a producer that keeps the queue full: the object never holds more than one subscription`s credit, and nothing is lost', async () => {
    const q = queues.create();
    const N = 30_000;
    const producer = startChild(msgPeer(), ['seq', String(q.id), '1', String(N), '1000000', '0'], { timeoutMs: 60_000 });
    await waitUntil(() => q.stat().qnum > 100, 'the producer to fill the queue');
    const { backlog } = queueInternals(q);
    const got: string[] = [];
    let most = 0;
    for (let i = 0; i < 200; i++) {
      await new Promise<void>((resolve) => {
        const sub = messages(q).subscribe((m) => {
          got.push(m.data.toString());
          sub.unsubscribe();
          resolve();
        });
      });
      most = Math.max(most, backlog.size);
      await sleep(0);
      most = Math.max(most, backlog.size);
    }
    // The default credit is 2 x 256: held-for-put-back stays within it (the old design held 70,000+).
    expect(most).toBeLessThanOrEqual(512);
    // Let the producer finish while a last subscriber takes everything, then count.
    const last = messages(q).subscribe((m) => got.push(m.data.toString()));
    const r = await producer.done;
    expect(r.code, r.stderr).toBe(0);
    await waitUntil(() => got.length + q.stat().qnum + backlog.size >= N && q.stat().qnum === 0, 'the last subscriber to drain', 20_000);
    last.unsubscribe();
    await q.close();
    const all = [...got, ...drain(MessageQueueOf(q.id)).map((m) => m.data.toString())];
    expect(all.length).toBe(N);
    expect(new Set(all).size).toBe(N);
  }, 60_000);

  it('subscriptions to different types, alternating: what the object holds stays within one subscription`s credit', async () => {
    const q = queues.create();
    const N = 15_000;
    // One producer, types 1 and 2 alternating: the full queue always holds both. (Two producers
    // could leave it full of one type only, and a subscriber to the other would rightly wait
    // for ever: nobody takes what fills the queue.)
    const sent = Array.from({ length: 2 * N }, (_, i) => ({ type: 1 + (i % 2), data: Buffer.from(String(i >> 1)) }));
    const producers = [startChild(msgPeer(), ['send', String(q.id)], { input: peerLines(sent), timeoutMs: 60_000 })];
    await waitUntil(() => q.stat().qnum > 100, 'the producers to fill the queue');
    const { backlog } = queueInternals(q);
    const got: string[] = [];
    let most = 0;
    for (let i = 0; i < 200; i++) {
      await new Promise<void>((resolve) => {
        const sub = messages(q, { type: 1 + (i % 2) }).subscribe((m) => {
          got.push(`${m.type}:${m.data.toString()}`);
          sub.unsubscribe();
          resolve();
        });
      });
      most = Math.max(most, backlog.size);
    }
    expect(most).toBeLessThanOrEqual(512);
    const last = messages(q).subscribe((m) => got.push(`${m.type}:${m.data.toString()}`));
    for (const p of producers) expect((await p.done).code).toBe(0);
    await waitUntil(() => q.stat().qnum === 0 && backlog.size === 0, 'the last subscriber to drain', 20_000);
    last.unsubscribe();
    await q.close();
    const all = [...got, ...drain(MessageQueueOf(q.id)).map((m) => `${m.type}:${m.data.toString()}`)];
    expect(all.length).toBe(2 * N);
    expect(new Set(all).size).toBe(2 * N);
  }, 60_000);

  it('a new subscription whose selector matches is served from what the object holds first', async () => {
    const q = queues.create();
    for (let i = 0; i < 10; i++) q.trySend(1, String(i));
    const first = await firstValueFrom(messages(q)); // takes the batch of 10, keeps 1
    expect(first.data.toString()).toBe('0');
    const { backlog } = queueInternals(q);
    await waitUntil(() => backlog.size === 0, 'the rest to go back');
    // Now fill the queue so that a put-back must wait, and hold some back by hand.
    backlog.add([{ type: 7, data: Buffer.from('held') }]);
    const served = await firstValueFrom(messages(q, { type: 7 }));
    expect(served.data.toString()).toBe('held');
    await q.close();
  });
});

describe('close() and exit', () => {
  it('await q.close() settles once every taken message is back in the queue', async () => {
    const q = queues.create();
    for (let i = 0; i < 100; i++) q.trySend(1, String(i));
    const seen: string[] = [];
    const sub = messages(q).subscribe((m) => {
      seen.push(m.data.toString());
      if (seen.length === 3) sub.unsubscribe();
    });
    await waitUntil(() => seen.length >= 3, 'three messages');
    await q.close();
    expect(queueInternals(q).backlog.size).toBe(0);
    expect(seen.length + MessageQueueOf(q.id).stat().qnum).toBe(100);
  });

  for (const mode of ['unsubscribe', 'in-next', 'close'] as const) {
    it(`a process that exits right after taking messages (${mode}) loses none when the queue has room`, async () => {
      for (let round = 0; round < 5; round++) {
        const q = queues.create();
        for (let i = 0; i < 1000; i++) q.trySend(1, String(i));
        const r = await runChild(process.execPath, [fixture, mode, String(q.id)]);
        expect(r.code, r.stderr).toBe(0);
        const seen = Number(r.stdout.trim());
        expect(seen).toBeGreaterThan(0);
        expect(seen + q.stat().qnum).toBe(1000);
      }
    });
  }
});

describe('a paused read stream', () => {
  it('learns of the queue`s removal without being resumed, and lets the process go', async () => {
    const q = queues.create();
    for (let i = 0; i < 20; i++) q.trySend(1, String(i));
    const s = q.createReadStream({ highWaterMark: 4 });
    s.pause();
    s.read(0);
    await waitUntil(() => s.readableLength > 0, 'the stream to fill');
    const errored = new Promise<Error>((resolve) => s.once('error', resolve));
    // Removed by someone else (a bare msgctl): only the kernel can tell the stream.
    const { native } = await import('@rxipc/native');
    native.msgctlRemove(q.id);
    const err = await errored;
    expect(err).toMatchObject({ code: 'EIDRM' });
  });
});

/** A fresh handle on a queue whose object was closed (handles own no kernel resource). */
function MessageQueueOf(id: number): MessageQueue {
  return MessageQueue.fromId(id);
}
