import { MessageQueue, type Payload } from '@rxipc/core';
import { MAX_SAFE_INTEGER, validateInstance, validateInteger, validateObject } from '@rxipc/core/internal';
import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Where `sendTo` sends.
 *
 * @example
 * const options: SendToOptions = { type: 1 };
 */
export interface SendToOptions {
  /** The message type of every value: an integer 1..2^53-1. */
  type: number;
}

/**
 * Sends every value of the source to a System V queue as a message of `type`, in order,
 * and re-emits the value once it is in the queue. While the queue is full, the value at
 * the head waits for room (on a waiter thread, never the event loop) and later values wait
 * behind it in order, in memory: RxJS cannot slow a push source down, so a source faster
 * than the queue's readers grows that buffer without bound. Pace the source (e.g. with
 * `concatMap` over a pull, or a `MessageWriteStream`) when that matters.
 * Invalid values (wrong type, above msgmax) error the Observable; nothing is sent for them.
 * A `queue` that is not a MessageQueue, or bad `options`, throw at the call.
 *
 * @example
 * from(['a', 'b', 'c']).pipe(sendTo(q, { type: 1 })).subscribe();
 */
export function sendTo<T extends Payload>(queue: MessageQueue, options: SendToOptions): OperatorFunction<T, T> {
  validateInstance(queue, MessageQueue, 'queue');
  const { type } = validateObject<SendToOptions>(options, 'options');
  return sendEach(queue, validateInteger(type, 'options.type', 1, MAX_SAFE_INTEGER), (v: T) => v);
}

/**
 * @internal The operator behind `sendTo` and `typedQueue().sendAll`: sends `payloadOf(v)`
 * for each value `v` as a message of `type` (already validated), re-emitting `v` once its
 * message is in the queue.
 *
 * Invariants: values are sent and re-emitted in source order; at most one waiting send is
 * in flight, and only for `waiting[0]`; a value is removed from `waiting` only once the
 * kernel has its message. `payloadOf` throwing errors the Observable, like an invalid value.
 */
export function sendEach<T>(queue: MessageQueue, type: number, payloadOf: (value: T) => Payload): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const waiting: T[] = [];
      let sending = false;
      let sourceDone = false;
      // Unsubscribing gives up a send still waiting for room (it no longer keeps the process
      // alive); one the kernel already took stays sent.
      const teardown = new AbortController();
      const pump = () => {
        while (waiting.length > 0 && !subscriber.closed) {
          const v = waiting[0] as T;
          let payload: Payload;
          try {
            payload = payloadOf(v);
            // The fast path: no thread, no promise, while there is room.
            if (queue.trySend(type, payload)) {
              waiting.shift();
              subscriber.next(v);
              continue;
            }
          } catch (err) {
            subscriber.error(err);
            return;
          }
          sending = true;
          queue.send(type, payload, { signal: teardown.signal }).then(
            () => {
              sending = false;
              waiting.shift();
              subscriber.next(v);
              pump();
            },
            (err: Error) => {
              if (!teardown.signal.aborted) subscriber.error(err);
            },
          );
          return;
        }
        if (sourceDone && waiting.length === 0) subscriber.complete();
      };
      const sub = source.subscribe({
        next: (v) => {
          waiting.push(v);
          if (!sending) pump();
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (!sending && waiting.length === 0) subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        teardown.abort();
      };
    });
}
