// Compile-time guarantees of the typed events every resource class carries (src/events.ts).
import { Fifo, MessageQueue, type FifoEvents, type MessageQueueEvents } from '@rxipc/core';
import { describe, expectTypeOf, it } from 'vitest';

import { TypedEventEmitter } from '../../src/events.js';

declare const q: MessageQueue;
declare const fifo: Fifo;

describe('typed events', () => {
  it('on/once/emit take the declared names and listener types, and chain', () => {
    expectTypeOf(q.on('close', () => {})).toEqualTypeOf<MessageQueue>();
    expectTypeOf(fifo.once('close', () => {})).toEqualTypeOf<Fifo>();
    expectTypeOf(q.listeners('close')).toEqualTypeOf<MessageQueueEvents['close'][]>();
    expectTypeOf(fifo.listeners('close')).toEqualTypeOf<FifoEvents['close'][]>();
    // @ts-expect-error: not an event of a MessageQueue
    q.on('nonsense', () => {});
    // @ts-expect-error: close takes no arguments
    fifo.emit('close', 1);
  });

  it('a class extends TypedEventEmitter<Events> in one line, with type aliases or interfaces', () => {
    interface ThingEvents {
      data: (n: number) => void;
    }
    class Thing extends TypedEventEmitter<ThingEvents> {}
    const t = new Thing();
    t.on('data', (n) => expectTypeOf(n).toEqualTypeOf<number>());
    expectTypeOf(t.emit('data', 1)).toEqualTypeOf<boolean>();
    // @ts-expect-error: data carries a number
    t.emit('data', 'x');
  });
});
