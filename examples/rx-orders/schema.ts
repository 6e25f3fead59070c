// The message kinds both sides agree on: one schema, typed end to end.
import { json } from '@rxipc/rx';

export interface Order {
  id: number;
  item: string;
  qty: number;
}

export interface Cancel {
  id: number;
  reason: string;
}

/** The last message: how many of each kind were sent. */
export interface Done {
  orders: number;
  cancels: number;
}

/** Each kind is a System V message type; receivers select theirs in the kernel. */
export const schema = {
  order: { type: 1, codec: json<Order>() },
  cancel: { type: 2, codec: json<Cancel>() },
  done: { type: 3, codec: json<Done>() },
};

/** Where a process passes the queue id to the process it starts. */
export const QUEUE_ID_ENV = 'RXIPC_ORDERS_QUEUE_ID';

export function log(who: string, text: string): void {
  console.log(`${who}(${process.pid}): ${text}`);
}
