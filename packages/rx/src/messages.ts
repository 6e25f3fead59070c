import type { Message, MessageQueue, ReceiveSelector } from '@rxipc/core';
import { Observable } from 'rxjs';

import { queueInternals, validateBoolean, validateInteger, validateOptions, type Subscription } from '@rxipc/core/internal';

/**
 * Which messages a `messages()` subscription takes, and how many at a time.
 *
 * @example
 * const options: MessagesOptions = { type: 3, batch: 64, unref: true };
 */
export interface MessagesOptions extends ReceiveSelector {
  /**
   * Most messages handed over per kernel wake-up: an integer 1..65536 (default 256). At
   * most 2 × batch messages are out of the kernel and not yet delivered at any time: that is
   * also what a kill -9 of this process can lose (512 by default); a smaller batch trades
   * throughput for a smaller window (batch 1: at most 2).
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
 * milliseconds; messages taken at that moment are offered first to the next subscription
 * on the same queue object whose type matches, and otherwise go back into the queue (at its
 * back: the kernel has no front) as soon as there is room — never lost. `await q.close()`
 * settles once they are back; at process exit rxipc returns them itself (trying for room for
 * up to 1 s when the queue is full, then saying on stderr how many it could not return).
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
  const q = queueInternals(queue);
  const { batch: batchOption, unref: unrefOption, ...selector } = validateOptions<MessagesOptions>(options);
  const batch = batchOption === undefined ? 256 : validateInteger(batchOption, 'options.batch', 1, 65536);
  const unref = unrefOption === undefined ? false : validateBoolean(unrefOption, 'options.unref');
  const sel = q.selector(selector); // validate eagerly, at creation
  return new Observable<Message>((subscriber) => {
    // Credit: at most 2 × batch messages out of the kernel and not yet delivered (with the
    // queue object's put-back backlog counted in); credit comes back only after a delivery
    // ran through next(), so a subscriber that holds the event loop holds the draining too.
    let sub: Subscription;
    try {
      sub = q.subscribe(
        sel,
        { batch, credit: 2 * batch, autoCredit: true },
        {
          get open() {
            return !subscriber.closed;
          },
          next: (m) => subscriber.next(m),
          cancelled: (removed) => {
            if (removed) subscriber.error(removed);
          },
          end: (err) => {
            if (err) subscriber.error(err);
            else subscriber.complete();
          },
        },
      );
    } catch (err) {
      subscriber.error(err); // closed since creation: a runtime failure, an error notification
      return undefined;
    }
    if (unref) sub.ref(false);
    sub.start();
    return () => sub.close();
  });
}
