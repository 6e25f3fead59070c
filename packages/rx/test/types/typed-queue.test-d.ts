// Compile-time guarantees of typedQueue: the schema types everything end to end.
import type { Message, MessageQueue } from '@rxipc/core';
import { bytes, json, messages, sendTo, typedQueue, utf8, type DecodeError } from '@rxipc/rx';
import { of, type Observable } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';

interface Order {
  id: number;
  item: string;
}

declare const q: MessageQueue;
const typed = typedQueue(q, {
  order: { type: 1, codec: json<Order>() },
  note: { type: 2, codec: utf8() },
  blob: { type: 3, codec: bytes() },
});

describe('typedQueue types', () => {
  it('messages(kind) is an Observable of that kind', () => {
    expectTypeOf(typed.messages('order')).toEqualTypeOf<Observable<Order>>();
    expectTypeOf(typed.messages('note')).toEqualTypeOf<Observable<string>>();
    expectTypeOf(typed.messages('blob')).toEqualTypeOf<Observable<Buffer>>();
    expectTypeOf(typed.decodeErrors).toEqualTypeOf<Observable<DecodeError>>();
    expectTypeOf<DecodeError['received']>().toEqualTypeOf<Message>();
    expectTypeOf<DecodeError['kind']>().toEqualTypeOf<string>();
  });

  it('send and trySend take the kind value', () => {
    expectTypeOf(typed.send('order', { id: 1, item: 'tea' })).toEqualTypeOf<Promise<void>>();
    expectTypeOf(typed.trySend('note', 'hi')).toEqualTypeOf<boolean>();
    expectTypeOf(typed.send<'order'>).parameter(1).toEqualTypeOf<Order>();
  });

  it('a value of the wrong shape does not compile', () => {
    // @ts-expect-error item is missing
    void typed.send('order', { id: 1 });
    // @ts-expect-error id must be a number
    void typed.send('order', { id: '1', item: 'tea' });
    // @ts-expect-error a note is a string
    void typed.send('note', { id: 1, item: 'tea' });
    // @ts-expect-error an order is not a string
    typed.trySend('order', 'tea');
  });

  it('an unknown kind name does not compile', () => {
    // @ts-expect-error no such kind
    typed.messages('refund');
    // @ts-expect-error no such kind
    void typed.send('refund', {});
    // @ts-expect-error no such kind
    typed.sendAll('refund');
  });

  it('sendAll is an operator over the kind value', () => {
    expectTypeOf(of({ id: 1, item: 'x' }).pipe(typed.sendAll('order'))).toEqualTypeOf<Observable<Order>>();
    // @ts-expect-error a string source cannot be sent as orders
    of('x').pipe(typed.sendAll('order'));
  });

  it('messages() and sendTo() are typed too', () => {
    expectTypeOf(messages(q, { type: 3 })).toEqualTypeOf<Observable<Message>>();
    expectTypeOf(of('a', 'b').pipe(sendTo(q, { type: 1 }))).toEqualTypeOf<Observable<string>>();
    // @ts-expect-error numbers are not payloads
    of(1, 2).pipe(sendTo(q, { type: 1 }));
  });
});
