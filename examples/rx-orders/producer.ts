// The producer: makes a private queue, starts the consumer with the queue's id, sends it
// orders and cancels, then 'done', waits for it to finish and removes the queue.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { IPC_PRIVATE, MessageQueue } from '@rxipc/core';
import { typedQueue } from '@rxipc/rx';

import { log, QUEUE_ID_ENV, schema, type Cancel, type Order } from './schema.js';

const script: Array<{ order: Order } | { cancel: Cancel }> = [
  { order: { id: 1, item: 'tea', qty: 2 } },
  { order: { id: 2, item: 'scones', qty: 6 } },
  { order: { id: 3, item: 'jam', qty: 1 } },
  { cancel: { id: 2, reason: 'out of stock' } },
  { order: { id: 4, item: 'clotted cream', qty: 1 } },
  { cancel: { id: 3, reason: 'changed their mind' } },
  { order: { id: 5, item: 'milk', qty: 1 } },
];

// IPC_PRIVATE: a new queue with no key, that only processes given its id can use
// (and, mode 0600, only this user). It outlives us unless removed: every exit removes it.
const queue = MessageQueue.open(IPC_PRIVATE, { create: true, mode: 0o600 });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    if (!queue.closed) queue.remove(); // the consumer's subscriptions fail with EIDRM: it exits too
    process.exit(128 + constants.signals[signal]);
  });
}

let status = 1;
try {
  log('producer', `created queue ${queue.id}`);
  const consumer = spawn(process.execPath, [fileURLToPath(new URL('./consumer.js', import.meta.url))], {
    stdio: 'inherit',
    env: { ...process.env, [QUEUE_ID_ENV]: String(queue.id) },
  });
  const exited = once(consumer, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  const typed = typedQueue(queue, schema);
  for (const step of script) {
    log('producer', `send ${JSON.stringify(step)}`);
    if ('order' in step) await typed.send('order', step.order); // waits only if the queue is full
    else await typed.send('cancel', step.cancel);
    await sleep(50); // a little pace, so that the consumer's output reads as it happens
  }
  const orders = script.filter((step) => 'order' in step).length;
  const done = { orders, cancels: script.length - orders };
  log('producer', `send ${JSON.stringify({ done })}`);
  await typed.send('done', done);

  const [code] = await exited;
  status = code ?? 1;
} finally {
  queue.remove(); // nothing is left in the kernel, whatever happened above
}
process.exitCode = status;
