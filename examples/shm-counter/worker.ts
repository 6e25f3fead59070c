// One shm-counter worker: adds 1 to the shared counter `iterations` times, each time under the
// semaphore (SEM_UNDO: if this process dies holding it, the kernel gives it back), or without
// it (--no-lock), where two processes can read the same value and one increment is lost.
import { SemaphoreSet, SharedMemory } from '@rxipc/core';

import { ENV, log } from './shared.js';

const shm = SharedMemory.fromId(Number(process.env[ENV.shm]));
const sem = SemaphoreSet.fromId(Number(process.env[ENV.sem]));
const iterations = Number(process.env[ENV.iterations]);
const lock = process.env[ENV.lock] === '1';
const counter = shm.buffer;

/** The read-modify-write the semaphore protects; the spin widens the window a race needs. */
function increment(): void {
  const value = counter.readUInt32LE(0);
  for (let i = 0; i < 20; i++) Math.sqrt(i);
  counter.writeUInt32LE(value + 1, 0);
}

for (let i = 0; i < iterations; i++) {
  if (lock) await sem.withLock(0, increment);
  else increment();
}
log('worker', `added ${iterations}`);
await Promise.all([shm.close(), sem.close()]);
