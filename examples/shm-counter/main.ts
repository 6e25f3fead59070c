// shm-counter: N processes each add 1 to a counter in shared memory, --iterations times,
// under a System V semaphore. The final count is exactly N × iterations; with --no-lock the
// read-modify-write races across processes and increments are visibly lost.
//
//   main ──spawns N──> worker
//   creates an IPC_PRIVATE segment (the counter: a little-endian u32 at offset 0) and an
//   IPC_PRIVATE semaphore set of one (initially 1: the lock is free), passes their ids in the
//   environment, waits for every worker, prints the count, removes both on every exit.
//
// Run: npm run example shm-counter -- [--procs 4] [--iterations 10000] [--no-lock]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { IPC_PRIVATE, SemaphoreSet, SharedMemory } from '@rxipc/core';

import { ENV, log } from './shared.js';

const { values } = parseArgs({
  options: {
    procs: { type: 'string', default: '4' },
    iterations: { type: 'string', default: '10000' },
    'no-lock': { type: 'boolean', default: false },
  },
});
const procs = Number(values.procs);
const iterations = Number(values.iterations);
const lock = !values['no-lock'];
if (!Number.isInteger(procs) || procs < 1 || procs > 64 || !Number.isInteger(iterations) || iterations < 0) {
  process.stderr.write('usage: shm-counter [--procs N (1..64)] [--iterations N] [--no-lock]\n');
  process.exit(2);
}

// Both IPC_PRIVATE, mode 0600: only processes given the ids (and this user) can use them.
// They outlive us unless removed: every way out removes them.
const shm = SharedMemory.open(IPC_PRIVATE, { size: 4096, create: true, mode: 0o600 });
const sem = SemaphoreSet.open(IPC_PRIVATE, { count: 1, create: true, initial: [1], mode: 0o600 });
const removeAll = () => {
  for (const undo of [() => shm.remove(), () => sem.remove()]) {
    try {
      undo();
    } catch {
      /* already gone */
    }
  }
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    removeAll();
    process.exit(128 + constants.signals[signal]);
  });
}

let status = 1;
try {
  log('main', `${procs} processes × ${iterations} increments, ${lock ? 'under semaphore ' + sem.id : 'WITHOUT a lock'} (segment ${shm.id})`);
  const started = performance.now();
  const worker = fileURLToPath(new URL('./worker.js', import.meta.url));
  const children = Array.from({ length: procs }, () =>
    spawn(process.execPath, [worker], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, [ENV.shm]: String(shm.id), [ENV.sem]: String(sem.id), [ENV.iterations]: String(iterations), [ENV.lock]: lock ? '1' : '0' },
    }),
  );
  const codes = await Promise.all(children.map(async (c) => ((await once(c, 'exit')) as [number | null])[0]));
  const count = shm.buffer.readUInt32LE(0);
  const expected = procs * iterations;
  const ms = Math.round(performance.now() - started);
  if (codes.some((c) => c !== 0)) {
    log('main', `a worker failed (exit codes ${codes.join(', ')})`);
  } else if (count === expected) {
    log('main', `counter = ${count} (expected ${expected}): exact, in ${ms} ms`);
    status = 0;
  } else {
    log('main', `counter = ${count} (expected ${expected}): ${expected - count} increments lost to the race, in ${ms} ms`);
    status = lock ? 1 : 0; // without the lock, losing increments is the point
  }
} finally {
  removeAll();
  await Promise.all([shm.close(), sem.close()]);
}
process.exitCode = status;
