// Interop with C: msgpeer (fixtures/msgpeer.c, plain libc msgsnd/msgrcv) and MessageQueue
// exchange byte-identical payloads and types, in both directions, on one queue id.
import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { msgPeer, parsePeerLines, peerLines, runChild, startChild, useQueues } from '../../../../test/support/ipc.js';

const queues = useQueues();
const msgmax = Number(readFileSync('/proc/sys/kernel/msgmax', 'utf8'));

const typeArb = fc.oneof(
  fc.constantFrom(1, 2, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40 + 3, 2 ** 53 - 1),
  fc.integer({ min: 1, max: 1000 }),
  fc.bigInt({ min: 1n, max: 2n ** 53n - 1n }).map(Number),
);
const payloadArb = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => a.map((x, i) => (i % 2 === 0 ? 0 : x))) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: msgmax - 8, maxLength: msgmax }) },
);
const messagesArb = fc.array(fc.record({ type: typeArb, data: payloadArb }), { minLength: 1, maxLength: 12 });

describe('interop with a C program on the same queue id', () => {
  it('the fixed cases: large types, zeros, empty and msgmax-sized payloads, both ways', async () => {
    const q = queues.create();
    const cases = [
      { type: 2 ** 40 + 3, data: Buffer.from([0, 0, 1, 0]) },
      { type: 2 ** 53 - 1, data: Buffer.alloc(0) },
      { type: 1, data: Buffer.alloc(msgmax, 0xa5) },
      { type: 7, data: Buffer.from('\0hello\0') },
    ];
    await runChild(msgPeer(), ['send', String(q.id)], { input: peerLines(cases) });
    for (const c of cases) {
      const m = q.tryReceive({ type: c.type })!;
      expect(m.type).toBe(c.type);
      expect(m.data.equals(c.data)).toBe(true);
    }
    for (const c of cases) await q.send(c.type, c.data);
    const got = parsePeerLines((await runChild(msgPeer(), ['recv', String(q.id), String(cases.length)])).stdout);
    expect(got).toEqual(cases.map((c) => ({ type: c.type, data: c.data })));
  });

  it('C sends, JavaScript receives: any types and payloads arrive byte-identical, in order', async () => {
    await fc.assert(
      fc.asyncProperty(messagesArb, async (sent) => {
        const q = queues.create();
        try {
          // We receive while it sends: big payloads fill the queue and make it wait.
          const peer = startChild(msgPeer(), ['send', String(q.id)], { input: peerLines(sent) });
          for (const m of sent) {
            const got = await q.receive({ type: m.type, timeout: 2000 });
            expect(got.type).toBe(m.type);
            expect(Buffer.compare(got.data, m.data)).toBe(0);
          }
          const r = await peer.done;
          expect(r.code, r.stderr).toBe(0);
          expect(q.stat().qnum).toBe(0);
        } finally {
          q.remove();
        }
      }),
      { numRuns: 20 },
    );
  });

  it('JavaScript sends, C receives: any types and payloads arrive byte-identical, in order', async () => {
    await fc.assert(
      fc.asyncProperty(messagesArb, async (sent) => {
        const q = queues.create();
        try {
          // The C receiver runs while we send: big payloads fill the queue and make sends wait.
          const peer = startChild(msgPeer(), ['recv', String(q.id), String(sent.length)]);
          for (const m of sent) await q.send(m.type, m.data);
          const r = await peer.done;
          expect(r.code, r.stderr).toBe(0);
          const got = parsePeerLines(r.stdout);
          expect(got.map((m) => m.type)).toEqual(sent.map((m) => m.type));
          expect(got.map((m) => m.data.toString('hex'))).toEqual(sent.map((m) => Buffer.from(m.data).toString('hex')));
        } finally {
          q.remove();
        }
      }),
      { numRuns: 20 },
    );
  });

  it('C selects by type among messages JavaScript sent (negative type, except)', async () => {
    const q = queues.create();
    for (const t of [5, 3, 2 ** 40 + 3, 1, 3]) q.trySend(t, `t${t}`);
    const low = parsePeerLines((await runChild(msgPeer(), ['recv', String(q.id), '3', '-4'])).stdout);
    expect(low.map((m) => m.type)).toEqual([1, 3, 3]);
    const other = parsePeerLines((await runChild(msgPeer(), ['recv', String(q.id), '1', '5', 'except'])).stdout);
    expect(other.map((m) => m.type)).toEqual([2 ** 40 + 3]);
    expect(q.tryReceive()?.type).toBe(5);
  });
});
