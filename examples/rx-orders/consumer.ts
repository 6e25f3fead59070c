// The consumer: subscribes to each kind of message with RxJS and prints them; completes
// when 'done' has come and every message it announced has been received.
import { MessageQueue } from '@rxipc/core';
import { typedQueue } from '@rxipc/rx';
import { combineLatest, first, merge, scan, startWith, take, tap } from 'rxjs';

import { log, QUEUE_ID_ENV, schema, type Order } from './schema.js';

const queue = MessageQueue.fromId(Number(process.env[QUEUE_ID_ENV]));
const typed = typedQueue(queue, schema);

const orders = new Map<number, Order>();
const cancelled = new Set<number>();

// Each subscription has its own receiver, filtered by type in the kernel: a cancel never
// waits behind orders, and no subscriber ever takes (or skips) another kind's messages.
const order$ = typed.messages('order').pipe(
  tap((order) => {
    orders.set(order.id, order);
    log('consumer', `order #${order.id}: ${order.qty} x ${order.item}`);
  }),
);
const cancel$ = typed.messages('cancel').pipe(
  tap((cancel) => {
    cancelled.add(cancel.id);
    log('consumer', `cancel #${cancel.id}: ${cancel.reason}`);
  }),
);

// Because the kinds are received independently, 'done' may overtake orders and cancels
// still in the queue. So it carries the counts, and we finish when all have arrived.
const done$ = typed.messages('done').pipe(take(1));
const received$ = merge(order$, cancel$).pipe(
  scan((count) => count + 1, 0),
  startWith(0),
);

combineLatest([done$, received$])
  .pipe(first(([done, received]) => received === done.orders + done.cancels))
  .subscribe({
    next: () => {
      // first() completes here: every subscription above is torn down and its receiver stopped.
      const toShip = [...orders.keys()].filter((id) => !cancelled.has(id));
      log('consumer', `done: ${orders.size} orders, ${cancelled.size} cancelled, to ship: #${toShip.join(', #')}`);
      queue.close(); // the producer owns the queue and removes it
    },
    error: (err: Error) => {
      log('consumer', `failed: ${err.message}`); // EIDRM if the producer removed the queue early
      queue.close();
      process.exitCode = 1;
    },
  });
