import type { MessageQueue, Payload } from '@rxipc/core';
import { Observable, type OperatorFunction } from 'rxjs';

export interface SendToOptions {
  /** The message type of every value. */
  type: number;
}

/**
 * Sends every value of the source to a System V queue as a message of `type`, in order,
 * and re-emits the value once it is in the queue. A full queue makes values wait (on a
 * waiter thread, never the event loop) until there is room: backpressure into the chain.
 * Invalid values (wrong type, above msgmax) error the Observable; nothing is sent for them.
 *
 * @example
 * from(['a', 'b', 'c']).pipe(sendTo(q, { type: 1 })).subscribe();
 */
export function sendTo<T extends Payload>(queue: MessageQueue, options: SendToOptions): OperatorFunction<T, T> {
  const { type } = options;
  queue._validatePayload(type, ''); // validate the type eagerly
  return (source) =>
    new Observable<T>((subscriber) => {
      const waiting: T[] = [];
      let sending = false;
      let sourceDone = false;
      const pump = () => {
        while (waiting.length > 0 && !subscriber.closed) {
          const v = waiting[0] as T;
          try {
            if (queue.trySend(type, v)) {
              waiting.shift();
              subscriber.next(v);
              continue;
            }
          } catch (err) {
            subscriber.error(err);
            return;
          }
          sending = true;
          queue.send(type, v).then(
            () => {
              sending = false;
              waiting.shift();
              subscriber.next(v);
              pump();
            },
            (err: Error) => subscriber.error(err),
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
      return () => sub.unsubscribe();
    });
}
