// Message queue streams: object-mode reads with backpressure that reaches the kernel,
// put-back on destroy, EIDRM, and write streams that batch and wait.
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { MessageQueue, type Message } from '@rxipc/core';
import { queueInternals } from '@rxipc/core/internal';
import { native, tasks } from '@rxipc/native';
import { describe, expect, it, vi } from 'vitest';

import {
  drain,
  msgPeer,
  multiset,
  parsePeerLines,
  sleep,
  startChild,
  startNodeFixture,
  useQueues,
  waitUntil,
} from '../../../../test/support/ipc.js';

const queues = useQueues();

describe('createReadStream', () => {
  it('is an object-mode stream of { type, data } for the selector', async () => {
    const q = queues.create();
    for (const [t, d] of [[3, 'a'], [4, 'b'], [3, 'c'], [1, 'd'], [3, 'e']] as const) q.trySend(t, d);
    const stream = q.createReadStream({ type: 3 });
    expect(stream.readableObjectMode).toBe(true);
    const got: Message[] = [];
    for await (const m of stream) {
      got.push(m as Message);
      if (got.length === 3) break;
    }
    expect(got.map((m) => [m.type, Buffer.isBuffer(m.data), m.data.toString()])).toEqual([
      [3, true, 'a'],
      [3, true, 'c'],
      [3, true, 'e'],
    ]);
    expect(drain(q).map((m) => m.type)).toEqual([4, 1]);
  });

  it('honours negative types and except', async () => {
    const q = queues.create();
    for (const t of [9, 2, 7, 1, 5]) q.trySend(t, `t${t}`);
    const low = q.createReadStream({ type: -5 });
    const lowTypes: number[] = [];
    for await (const m of low) if (lowTypes.push((m as Message).type) === 3) break;
    expect(lowTypes).toEqual([1, 2, 5]);
    const other = q.createReadStream({ type: 9, except: true });
    const [m] = (await once(other, 'data')) as [Message];
    other.destroy();
    expect(m.type).toBe(7);
    await waitUntil(() => tasks.pending === 0, 'the receivers to end');
    expect(drain(q).map((x) => x.type).sort()).toEqual([9]);
  });

  it('a stream nobody reads takes no more than highWaterMark from the kernel; others get the rest', async () => {
    const q = queues.create();
    const N = 100;
    const hwm = 8;
    for (let i = 0; i < N; i++) q.trySend(1, String(i));
    const stream = q.createReadStream({ highWaterMark: hwm });
    await once(stream, 'readable');
    const first = stream.read() as Message; // read once, then nobody reads
    expect(first.data.toString()).toBe('0');
    await sleep(100);
    const consumed = 1;
    const taken = N - q.stat().qnum; // out of the kernel: consumed + held in the stream
    expect(taken - consumed).toBeLessThanOrEqual(hwm);
    expect(stream.readableLength).toBeLessThanOrEqual(hwm);
    // Another process can still receive everything the stream did not take.
    const rest = q.stat().qnum;
    expect(rest).toBeGreaterThanOrEqual(N - hwm - consumed);
    const child = await startNodeFixture('msg-child.mjs', ['drain', q.id]).done;
    expect(child.code, child.stderr).toBe(0);
    expect(child.stdout.trim().split('\n')).toHaveLength(rest);
    stream.destroy();
  });

  it('reading resumes taking from the kernel, in order', async () => {
    const q = queues.create();
    for (let i = 0; i < 50; i++) q.trySend(1, String(i));
    const stream = q.createReadStream({ highWaterMark: 4 });
    const got: string[] = [];
    for await (const m of stream) if (got.push((m as Message).data.toString()) === 50) break;
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  }, 5000); // a stalled stream never ends: fail fast

  it('destroy puts the messages it holds back into the queue', async () => {
    const q = queues.create();
    const sent = Array.from({ length: 30 }, (_, i) => ({ type: 1 + (i % 4), data: Buffer.from(`m${i}`) }));
    for (const m of sent) q.trySend(m.type, m.data);
    const stream = q.createReadStream({ highWaterMark: 10 });
    const consumed: Message[] = [];
    await once(stream, 'readable');
    for (let i = 0; i < 3; i++) consumed.push(stream.read() as Message);
    await sleep(20);
    expect(stream.readableLength).toBeGreaterThan(0); // it holds some
    stream.destroy();
    await waitUntil(() => tasks.pending === 0, 'the receiver to end');
    const left = drain(q);
    expect(multiset(left)).toEqual(multiset(sent.filter((m) => !consumed.some((c) => c.data.equals(m.data)))));
    expect(left.length + consumed.length).toBe(sent.length);
  });

  it('close() of the queue ends its streams: what they hold is still read, then end', async () => {
    const q = queues.create();
    for (let i = 0; i < 5; i++) q.trySend(1, `m${i}`);
    const stream = q.createReadStream({ highWaterMark: 5 });
    await once(stream, 'readable');
    await sleep(10);
    q.close();
    const got: string[] = [];
    for await (const m of stream) got.push((m as Message).data.toString()); // no ERR_STREAM_PREMATURE_CLOSE
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('close() or remove() of the queue also ends a stream that was never read', async () => {
    const q = queues.create();
    q.trySend(1, 'stays');
    const closedBeforeRead = q.createReadStream();
    const other = MessageQueue.fromId(q.id);
    const removedBeforeRead = other.createReadStream();
    q.close();
    const got: Message[] = [];
    for await (const m of closedBeforeRead) got.push(m as Message); // ends, no ERR_RXIPC_CLOSED
    expect(got).toEqual([]);
    const errored = once(removedBeforeRead, 'error');
    other.remove();
    expect((await errored)[0]).toMatchObject({ code: 'EIDRM' });
  });

  it('read() after destroy hands out nothing: what the stream held went back to the queue', async () => {
    const q = queues.create();
    for (let i = 0; i < 5; i++) q.trySend(1, `m${i}`);
    const stream = q.createReadStream({ highWaterMark: 5 });
    await once(stream, 'readable');
    await waitUntil(() => stream.readableLength === 5, 'the stream to hold all five');
    stream.destroy();
    expect(stream.read()).toBeNull();
    await waitUntil(() => tasks.pending === 0, 'the receiver to end');
    expect(drain(q).map((m) => m.data.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('a consumer that destroys the stream in the middle of a batch loses nothing: the rest goes back', async () => {
    const q = queues.create();
    const sent = Array.from({ length: 40 }, (_, i) => `m${i}`);
    for (const d of sent) q.trySend(1, d);
    const stream = q.createReadStream();
    const got: string[] = [];
    stream.on('data', (m: Message) => {
      got.push(m.data.toString());
      if (got.length === 3) stream.destroy();
    });
    await once(stream, 'close');
    await waitUntil(() => tasks.pending === 0, 'the receiver to end');
    const left = drain(q).map((m) => m.data.toString());
    expect(got).toHaveLength(3);
    expect([...got, ...left].sort()).toEqual([...sent].sort());
  });

  it("a 'data' listener that throws loses no message: the rest of its batch goes back", async () => {
    const q = queues.create();
    const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
    for (const d of sent) q.trySend(1, d);
    const uncaught: unknown[] = [];
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const stream = q.createReadStream();
      const got: string[] = [];
      let thrown = false;
      stream.on('data', (m: Message) => {
        got.push(m.data.toString());
        if (got.length === 2 && !thrown) {
          thrown = true;
          throw new Error('consumer bug');
        }
      });
      await waitUntil(() => got.length === sent.length, 'every message, the put-back ones too');
      stream.destroy();
      expect([...got].sort()).toEqual([...sent].sort());
      await waitUntil(() => uncaught.length === 1, 'the throw to surface as an uncaught exception');
      expect(uncaught[0]).toMatchObject({ message: 'consumer bug' });
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const l of listeners) process.on('uncaughtException', l);
    }
  });
});

describe('createWriteStream', () => {
  it('sends each chunk as one message of its type', async () => {
    const q = queues.create();
    const w = q.createWriteStream({ type: 6 });
    w.write('one');
    w.write(Buffer.from([0, 1, 2]));
    w.write(new Uint8Array([]));
    w.end(new Uint8Array([255]));
    await once(w, 'finish');
    expect(drain(q).map((m) => [m.type, m.data.toString('hex')])).toEqual([
      [6, Buffer.from('one').toString('hex')],
      [6, '000102'],
      [6, ''],
      [6, 'ff'],
    ]);
  });

  it('without a type, writes { type, data } messages and rejects anything else', async () => {
    const q = queues.create();
    const w = q.createWriteStream();
    w.write({ type: 2, data: 'x' });
    w.write({ type: 2 ** 40 + 3, data: 'y' });
    await new Promise<void>((r) => w.write({ type: 3, data: 'z' }, () => r()));
    expect(drain(q).map((m) => m.type)).toEqual([2, 2 ** 40 + 3, 3]);
    const bad = q.createWriteStream();
    bad.on('error', () => {});
    bad.write('not a message');
    const [err] = await once(bad, 'error');
    expect(err).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    const badType = q.createWriteStream();
    badType.on('error', () => {});
    badType.write({ type: 0, data: 'x' });
    expect((await once(badType, 'error'))[0]).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(q.stat().qnum).toBe(0);
  });

  it('chunks written together go as one batch (_writev)', async () => {
    const q = queues.create();
    const w = q.createWriteStream({ type: 1 });
    const batch = vi.spyOn(queueInternals(q).sends, 'batch');
    w.cork();
    for (let i = 0; i < 20; i++) w.write(`c${i}`);
    process.nextTick(() => w.uncork());
    w.end();
    await once(w, 'finish');
    expect(batch).toHaveBeenCalledTimes(1);
    expect(batch.mock.calls[0]![0]).toHaveLength(20);
    expect(drain(q).map((m) => m.data.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`));
  });

  it('waits when the queue is full and finishes once a receiver makes room, in order', async () => {
    const q = queues.create();
    q.set({ maxBytes: 50 });
    const w = q.createWriteStream({ type: 2 });
    const N = 40;
    let finished = false;
    const finishing = once(w, 'finish').then(() => (finished = true));
    for (let i = 0; i < N; i++) w.write(String(i).padStart(10, '.'));
    w.cork();
    for (let i = N; i < 2 * N; i++) w.write(String(i).padStart(10, '.'));
    w.uncork();
    w.end();
    await sleep(30);
    expect(finished).toBe(false);
    expect(q.stat().qnum).toBe(5);
    const got: string[] = [];
    while (got.length < 2 * N) got.push((await q.receive({ timeout: 2000 })).data.toString());
    await finishing;
    expect(got).toEqual(Array.from({ length: 2 * N }, (_, i) => String(i).padStart(10, '.')));
  });

  it('a batch that finds the queue full waits on ONE waiter thread for the whole rest (not a task per message), in order', async () => {
    const q = queues.create();
    q.set({ maxBytes: 100 }); // 10 messages of 10 bytes
    const perBatch = vi.spyOn(native, 'msgsndRecordsStart');
    const perMessage = vi.spyOn(native, 'msgsndStart');
    try {
      const w = q.createWriteStream({ type: 3, highWaterMark: 256 });
      const N = 200;
      w.cork();
      for (let i = 0; i < N; i++) w.write(String(i).padStart(10, '.'));
      w.uncork();
      w.end();
      const finishing = once(w, 'finish');
      await waitUntil(() => perBatch.mock.calls.length === 1, 'the batch task');
      const got: string[] = [];
      while (got.length < N) got.push((await q.receive({ timeout: 2000 })).data.toString());
      await finishing;
      expect(got).toEqual(Array.from({ length: N }, (_, i) => String(i).padStart(10, '.')));
      expect(perBatch).toHaveBeenCalledTimes(1);
      expect(perMessage).not.toHaveBeenCalled();
    } finally {
      perBatch.mockRestore();
      perMessage.mockRestore();
    }
  });

  for (const how of ['close', 'remove'] as const) {
    it(`${how}() while a batch waits for room: the stream fails, the queue holds an exact prefix of what was written, nothing twice`, async () => {
      const q = queues.create();
      q.set({ maxBytes: 100 });
      const w = q.createWriteStream({ type: 4 });
      const N = 50;
      const failed = new Promise<Error>((resolve) => w.once('error', resolve));
      w.cork();
      for (let i = 0; i < N; i++) w.write(String(i).padStart(10, '.'));
      w.uncork();
      const other = MessageQueue.fromId(q.id); // a second object on the same queue reads
      await waitUntil(() => q.stat().qnum === 10, 'a full queue');
      const got: string[] = [];
      for (let i = 0; i < 15; i++) got.push((await other.receive({ timeout: 2000 })).data.toString());
      await waitUntil(() => other.stat().qnum === 10, 'a full queue again');
      if (how === 'close') {
        void q.close();
        const err = await failed;
        expect((err as NodeJS.ErrnoException).code).toBe('ERR_RXIPC_CLOSED');
        for (const m of drain(other)) got.push(m.data.toString());
        expect(got).toEqual(Array.from({ length: got.length }, (_, i) => String(i).padStart(10, '.')));
        expect(got.length).toBe(25);
      } else {
        q.remove();
        const err = await failed;
        expect((err as NodeJS.ErrnoException).code).toBe('EIDRM');
        expect(got).toEqual(Array.from({ length: 15 }, (_, i) => String(i).padStart(10, '.')));
      }
      void other.close();
    });
  }

  it('pipeline of many messages into a C receiver delivers them all, byte-identical, in order', async () => {
    const q = queues.create();
    const N = 2000;
    const payloads = Array.from({ length: N }, (_, i) => Buffer.from(`${i}:`.padEnd(1 + (i % 60), String.fromCharCode(97 + (i % 26)))));
    const peer = startChild(msgPeer(), ['recv', String(q.id), String(N)]);
    await pipeline(Readable.from(payloads), q.createWriteStream({ type: 11 }));
    const r = await peer.done;
    expect(r.code, r.stderr).toBe(0);
    const got = parsePeerLines(r.stdout);
    expect(got).toHaveLength(N);
    expect(got.every((m) => m.type === 11)).toBe(true);
    expect(got.map((m) => m.data.toString())).toEqual(payloads.map((p) => p.toString()));
  });
});
