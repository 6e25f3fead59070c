// shm-watch: one process updates a status record in shared memory with publish(); another
// prints each change through shmChanges in notify mode (a futex wait, no polling).
//
//   main (the writer) ──spawns──> watcher
//   creates an IPC_PRIVATE segment, passes its id in the environment, waits for the watcher
//   to be subscribed, publishes --updates status records every --interval ms and then a
//   final 'done'; removes the segment on every exit.
//
// Run: npm run example shm-watch -- [--updates 5] [--interval 200]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { IPC_PRIVATE, SharedMemory } from '@rxipc/core';

import { log, RECORD_OFFSET, SHM_ID_ENV, type Status } from './status.js';

const { values } = parseArgs({
  options: { updates: { type: 'string', default: '5' }, interval: { type: 'string', default: '200' } },
});
const updates = Number(values.updates);
const interval = Number(values.interval);
if (!Number.isInteger(updates) || updates < 0 || !(interval >= 0)) {
  process.stderr.write('usage: shm-watch [--updates N] [--interval MS]\n');
  process.exit(2);
}

// IPC_PRIVATE: a segment only processes given its id can attach (mode 0600: only this user).
// It outlives us unless removed: every exit removes it.
const shm = SharedMemory.open(IPC_PRIVATE, { size: 4096, create: true, mode: 0o600 });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    shm.remove();
    process.exit(128 + constants.signals[signal]);
  });
}

let status = 1;
try {
  log('writer', `created segment ${shm.id} (${shm.size} bytes)`);
  const watcher = spawn(process.execPath, [fileURLToPath(new URL('./watcher.js', import.meta.url))], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [SHM_ID_ENV]: String(shm.id) },
  });
  const exited = once(watcher, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await once(watcher, 'message'); // 'subscribed'

  const states = ['starting', 'warming up', 'serving', 'busy', 'serving'];
  for (let i = 1; i <= updates + 1; i++) {
    const last = i === updates + 1;
    const record: Status = {
      n: i,
      state: last ? 'done' : states[(i - 1) % states.length]!,
      load: last ? 0 : Math.round(((i * 37) % 100) * 10) / 1000,
      at: performance.timeOrigin + performance.now(),
    };
    const seq = shm.publish(RECORD_OFFSET, JSON.stringify(record));
    log('writer', `publish seq ${seq}: ${record.state}`);
    if (!last) await sleep(interval);
  }
  const [code] = await exited;
  status = code ?? 1;
} finally {
  shm.remove(); // gone from the kernel once both processes have detached
  await shm.close();
}
process.exitCode = status;
