import type { Message, MessageQueue, ReceiveSelector } from '@rxipc/core';
import { Observable } from 'rxjs';

import { validateBoolean, validateInteger, validateOptions } from '@rxipc/core/internal';

/**
 * Which messages a `messages()` subscription takes, and how many at a time.
 *
 * @example
 * const options: MessagesOptions = { type: 3, batch: 64, unref: true };
 */
export interface MessagesOptions extends ReceiveSelector {
  /**
   * Most messages handed over per kernel wake-up: an integer 1..65536 (default 256). At
   * most 2 × batch messages are out of the kernel and not yet delivered at any time.
   */
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
 * milliseconds; messages taken at that moment go back into the queue (at its back: the
 * kernel has no front), never lost.
 * Removal of the queue errors the Observable with EIDRM.
 *
 * Backpressure: messages leave the kernel only as fast as the subscriber takes them. At
 * most 2 × `batch` are taken ahead of delivery; a slow (or blocked) subscriber leaves the
 * rest in the kernel queue, where other processes can still receive them.
 *
 * @example
 * messages(q, { type: 3 }).subscribe(({ data }) => console.log(data.toString()));
 */
export function messages(queue: MessageQueue, options: MessagesOptions = {}): Observable<Message> {
  const { batch: batchOption, unref: unrefOption, ...selector } = validateOptions<MessagesOptions>(options);
  const batch = batchOption === undefined ? 256 : validateInteger(batchOption, 'options.batch', 1, 65536);
  const unref = unrefOption === undefined ? false : validateBoolean(unrefOption, 'options.unref');
  const sel = queue._selector(selector); // validate eagerly, at creation
  return new Observable<Message>((subscriber) => {
    // Credit invariant: messages taken from the kernel <= 2 × batch + messages whose
    // delivery has finished. Credit comes back only after a whole delivery ran through
    // next(), so a subscriber that holds the event loop holds the draining too.
    const receiver = queue._receiver(sel, batch, 2 * batch, {
      messages: (ms) => {
        for (let i = 0; i < ms.length; i++) {
          if (subscriber.closed) {
            queue._putBack(ms.slice(i));
            return;
          }
          subscriber.next(ms[i]!);
        }
        if (!subscriber.closed) receiver.credit(ms.length);
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
