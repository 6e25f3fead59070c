// typedQueue(queue, schema): codecs through a real queue; a message that fails to decode
// is reported on decodeErrors and never errors or ends any subscription.
import { bytes, DecodeError, json, typedQueue, utf8 } from '@rxipc/rx';
import { firstValueFrom, from, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { drain, sleep, useQueues, waitUntil } from '../../../../test/support/ipc.js';

const queues = useQueues();

interface Order {
  id: number;
  item: string;
  tags: string[];
}

const schemaFor = () => ({
  order: { type: 1, codec: json<Order>() },
  note: { type: 2, codec: utf8() },
  blob: { type: 2 ** 40 + 3, codec: bytes() },
});

describe('typedQueue()', () => {
  it('json, utf8 and bytes values round-trip through the queue, each kind on its own type', async () => {
    const q = queues.create();
    const typed = typedQueue(q, schemaFor());
    const order: Order = { id: 7, item: 'tea', tags: ['hot', 'ünï'] };
    const blob = Buffer.from([0, 255, 0, 1]);
    await typed.send('blob', blob);
    await typed.send('order', order);
    expect(typed.trySend('note', 'grüße 🫖')).toBe(true);
    expect(q.stat().qnum).toBe(3);
    expect(await firstValueFrom(typed.messages('order'))).toEqual(order);
    expect(await firstValueFrom(typed.messages('note'))).toBe('grüße 🫖');
    const gotBlob = await firstValueFrom(typed.messages('blob'));
    expect(Buffer.isBuffer(gotBlob) && gotBlob.equals(blob)).toBe(true);
    expect(q.stat().qnum).toBe(0);
  });

  it('uses the schema types on the wire', async () => {
    const q = queues.create();
    const typed = typedQueue(q, schemaFor());
    await typed.send('order', { id: 1, item: 'x', tags: [] });
    await typed.send('note', 'n');
    expect(drain(q).map((m) => [m.type, m.data.toString()])).toEqual([
      [1, '{"id":1,"item":"x","tags":[]}'],
      [2, 'n'],
    ]);
  });

  it('a message that fails to decode goes to decodeErrors; its subscription and the others go on', async () => {
    const q = queues.create();
    const typed = typedQueue(q, schemaFor());
    const errors: DecodeError[] = [];
    const errSub = typed.decodeErrors.subscribe((e) => errors.push(e));
    const orders: Order[] = [];
    const notes: string[] = [];
    const ended: string[] = [];
    const watch = (name: string) => ({ error: () => ended.push(`${name} error`), complete: () => ended.push(`${name} complete`) });
    const s1 = typed.messages('order').subscribe({ next: (o) => orders.push(o), ...watch('order') });
    const s2 = typed.messages('note').subscribe({ next: (n) => notes.push(n), ...watch('note') });
    try {
      await q.send(1, '{"id": 1, broken');
      await q.send(2, Buffer.from([0xff, 0xfe, 0x00])); // not UTF-8
      await typed.send('order', { id: 2, item: 'ok', tags: [] });
      await typed.send('note', 'still here');
      await waitUntil(() => orders.length === 1 && notes.length === 1 && errors.length === 2, 'the messages and the errors');
      expect(orders).toEqual([{ id: 2, item: 'ok', tags: [] }]);
      expect(notes).toEqual(['still here']);
      // Two subscriptions, two threads: the errors may come in either order.
      const [noteErr, orderErr] = [...errors].sort((a, b) => a.kind.localeCompare(b.kind));
      expect([orderErr, noteErr].map((e) => [e!.code, e!.kind, e!.received.type])).toEqual([
        ['ERR_RXIPC_DECODE', 'order', 1],
        ['ERR_RXIPC_DECODE', 'note', 2],
      ]);
      expect(orderErr).toBeInstanceOf(DecodeError);
      expect(orderErr!.cause).toBeInstanceOf(SyntaxError);
      expect(orderErr!.received.data.toString()).toBe('{"id": 1, broken');
      expect(noteErr!.cause).toBeInstanceOf(TypeError);
      expect(ended).toEqual([]);
      // Both subscriptions still receive.
      await typed.send('order', { id: 3, item: 'later', tags: [] });
      await typed.send('note', 'later');
      await waitUntil(() => orders.length === 2 && notes.length === 2, 'the later messages');
    } finally {
      s1.unsubscribe();
      s2.unsubscribe();
      errSub.unsubscribe();
    }
    expect(ended).toEqual([]);
  });

  it('sendAll sends each value as its kind, re-emits it, and waits when the queue is full', async () => {
    const q = queues.create();
    q.set({ maxBytes: 64 });
    const typed = typedQueue(q, schemaFor());
    const orders: Order[] = Array.from({ length: 12 }, (_, i) => ({ id: i, item: 'x', tags: [] }));
    const emitting = lastValueFrom(from(orders).pipe(typed.sendAll('order'), toArray()));
    const received = lastValueFrom(typed.messages('order').pipe(take(12), toArray()));
    expect(await emitting).toEqual(orders);
    expect(await received).toEqual(orders);
  });

  it('sendAll: values go out in order, synchronously while there is room; an encode failure errors with nothing sent for it', async () => {
    const q = queues.create();
    const typed = typedQueue(q, {
      ...schemaFor(),
      picky: { type: 7, codec: { encode: (v: number) => { if (v < 0) throw new RangeError('negative'); return String(v); }, decode: Number } },
    });
    const emitted: number[] = [];
    let error: unknown;
    from([1, 2, 3, -1, 4])
      .pipe(typed.sendAll('picky'))
      .subscribe({ next: (v) => emitted.push(v), error: (e) => (error = e) });
    // The fast path: no waiting send was needed, so everything happened synchronously.
    expect(emitted).toEqual([1, 2, 3]);
    // The codec's own error is the cause of a coded one that names the kind.
    expect(error).toMatchObject({ name: 'TypeError', code: 'ERR_RXIPC_ENCODE', kind: 'picky', cause: expect.any(RangeError) });
    expect(drain(q).map((m) => [m.type, m.data.toString()])).toEqual([[7, '1'], [7, '2'], [7, '3']]);
  });

  it('messages(kind, options) checks its options when called, not when subscribed', () => {
    const q = queues.create();
    const typed = typedQueue(q, schemaFor());
    expect(() => typed.messages('order', { batch: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => typed.messages('order', { unref: 'no' as unknown as boolean })).toThrow(TypeError);
  });

  it('DecodeError names what it could not decode', () => {
    const received = { type: 2, data: Buffer.from([0xff]) };
    const e = new DecodeError('note', received, new TypeError('bad utf-8'));
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ code: 'ERR_RXIPC_DECODE', kind: 'note', received });
    expect(e.message).toBe("cannot decode a 'note' message (type 2, 1 bytes)");
    expect(e.cause).toBeInstanceOf(TypeError);
  });

  it('trySend says false when the queue is full', () => {
    const q = queues.create();
    q.set({ maxBytes: 4 });
    const typed = typedQueue(q, schemaFor());
    expect(typed.trySend('note', 'abcd')).toBe(true);
    expect(typed.trySend('note', 'e')).toBe(false);
  });

  it('checks the schema and kind names at run time too', () => {
    const q = queues.create();
    expect(() => typedQueue(q, { a: { type: 1, codec: utf8() }, b: { type: 1, codec: utf8() } })).toThrow(RangeError);
    expect(() => typedQueue(q, { a: { type: 0, codec: utf8() } })).toThrow(RangeError);
    expect(() => typedQueue(q, { a: { type: 1, codec: {} as never } })).toThrow(TypeError);
    const typed = typedQueue(q, schemaFor());
    expect(() => typed.messages('nope' as 'order')).toThrow(RangeError);
  });

  it('unsubscribing a typed subscription stops taking messages', async () => {
    const q = queues.create();
    const typed = typedQueue(q, schemaFor());
    const sub = typed.messages('note').subscribe();
    await sleep(5);
    sub.unsubscribe();
    await sleep(10);
    await typed.send('note', 'left');
    await sleep(10);
    expect(drain(q).map((m) => m.data.toString())).toEqual(['left']);
  });
});
