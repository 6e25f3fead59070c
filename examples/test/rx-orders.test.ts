// rx-orders: a producer and a consumer process exchange typed JSON messages; the queue is gone afterwards.
import { describe, expect, it } from 'vitest';

import { program, queueIds, run, start } from './helpers.js';

const main = program('rx-orders');

/** The queue id the producer announces ("created queue N"). */
const queueOf = (stdout: string) => Number(/created queue (\d+)/.exec(stdout)?.[1]);

describe('rx-orders', () => {
  it('the consumer gets every order and cancel, finishes on done, and the queue is removed', async () => {
    const { code, stdout, stderr } = await run(main);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const consumer = stdout.split('\n').filter((l) => l.startsWith('consumer('));
    const said = consumer.map((l) => l.replace(/^consumer\(\d+\): /, ''));
    // Each kind arrives in its own order; across kinds, any interleaving is allowed.
    expect(said.filter((l) => l.startsWith('order'))).toEqual([
      'order #1: 2 x tea',
      'order #2: 6 x scones',
      'order #3: 1 x jam',
      'order #4: 1 x clotted cream',
      'order #5: 1 x milk',
    ]);
    expect(said.filter((l) => l.startsWith('cancel'))).toEqual(['cancel #2: out of stock', 'cancel #3: changed their mind']);
    expect(said.at(-1)).toBe('done: 5 orders, 2 cancelled, to ship: #1, #4, #5');
    // Two different processes, and the queue they shared is gone.
    const pids = new Set(stdout.split('\n').map((l) => /^\w+\((\d+)\)/.exec(l)?.[1]).filter(Boolean));
    expect(pids.size).toBe(2);
    expect(queueIds().has(queueOf(stdout))).toBe(false);
  });

  it('Ctrl-C (SIGINT to the whole process group) still removes the queue', async () => {
    const running = start(main, [], { detached: true }); // its own process group, like a terminal job
    const out = await running.waitFor(/created queue \d+/);
    const id = queueOf(out);
    expect(queueIds().has(id)).toBe(true);
    process.kill(-running.child.pid!, 'SIGINT');
    const end = await running.exit;
    expect(end.code ?? end.signal).not.toBe(0);
    expect(queueIds().has(id)).toBe(false);
  });
});
