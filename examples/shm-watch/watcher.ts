// The watcher: attaches the segment read-only and prints every status change it is woken for
// (shmChanges notify mode: a futex wait on the record's sequence word, on a waiter thread).
import { SharedMemory } from '@rxipc/core';
import { shmChanges } from '@rxipc/rx';
import { map, takeWhile } from 'rxjs';

import { log, RECORD_OFFSET, SHM_ID_ENV, type Status } from './status.js';

const shm = SharedMemory.fromId(Number(process.env[SHM_ID_ENV]), { readOnly: true });

shmChanges(shm, { notify: true, offset: RECORD_OFFSET })
  .pipe(
    map((data) => ({ status: JSON.parse(data.toString()) as Status, seen: performance.timeOrigin + performance.now() })),
    takeWhile(({ status }) => status.state !== 'done', true),
  )
  .subscribe({
    next: ({ status, seen }) => {
      const us = Math.max(0, Math.round((seen - status.at) * 1000));
      log('watcher', `#${status.n} ${status.state.padEnd(10)} load ${status.load.toFixed(2)}  (${us} µs after publish)`);
    },
    error: (err: Error) => {
      log('watcher', `error: ${err.message}`);
      process.exitCode = 1;
      void shm.close();
    },
    complete: () => {
      log('watcher', 'done');
      void shm.close(); // detach: the process then exits by itself
      process.disconnect?.();
    },
  });
process.send?.('subscribed');
