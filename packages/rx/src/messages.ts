import type { Message, MessageQueue, ReceiveSelector } from '@rxipc/core';
import { Observable } from 'rxjs';

export interface MessagesOptions extends ReceiveSelector {
  /** Most messages handed over per kernel wake-up (default 256). */
  batch?: number;
  /** Let a waiting subscription not keep the process alive (default false). */
  unref?: boolean;
}

/**
 * The messages of a System V queue that match `type`, as a cold Observable. Each
 * subscription has its own receiver on its own waiter thread, filtered by the kernel
 * (msgrcv's msgtyp): type 0 = any, > 0 = exactly that type (any other with `except`),
 * < 0 = the lowest type <= |type| first. A subscriber to type 3 never takes a type-4
 * message another process is waiting for. Unsubscribing cancels the wait within
 * milliseconds; messages taken at that moment go back into the queue, never lost.
 * Removal of the queue errors the Observable with EIDRM.
 *
 * @example
 * messages(q, { type: 3 }).subscribe(({ data }) => console.log(data.toString()));
 */
export function messages(queue: MessageQueue, options: MessagesOptions = {}): Observable<Message> {
  const { batch = 256, unref = false, ...selector } = options;
  const sel = queue._selector(selector); // validate eagerly, at creation
  return new Observable<Message>((subscriber) => {
    const receiver = queue._receiver(sel, batch, Infinity, {
      messages: (ms) => {
        for (const m of ms) {
          if (subscriber.closed) {
            queue._putBack(ms.slice(ms.indexOf(m)));
            return;
          }
          subscriber.next(m);
        }
      },
      end: (err) => {
        untrack();
        if (err) subscriber.error(err);
        else subscriber.complete();
      },
    });
    if (unref) receiver.ref(false);
    const untrack = queue._track({
      cancel: (removed) => {
        if (removed) subscriber.error(removed);
        receiver.close();
      },
    });
    return () => {
      untrack();
      receiver.close();
    };
  });
}
