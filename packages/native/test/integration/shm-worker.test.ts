// A worker terminated while it has mappings and waits in flight on them: its waits end, its
// mappings are unmapped (the writable one by its ArrayBuffer's finalizer, the read-only one
// by the environment's cleanup), its semaphore handle is closed, and this process lives on.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { expect, it } from 'vitest';

import { native, nativePath } from '@rxipc/native';

import { waitUntil } from '../../../../test/support/fs.js';

const C = native.constants;
const WORKER = fileURLToPath(new URL('../fixtures/worker-shm.mjs', import.meta.url));

it('terminating a worker with mappings and waits in flight unmaps and closes everything it had', async () => {
  const shmid = native.shmget(C.IPC_PRIVATE, 4096, C.IPC_CREAT | 0o600);
  const semName = `/rxipc-test-worker-${process.pid}`;
  const sem = native.semOpen(semName, C.O_CREAT | C.O_EXCL, 0o600, 0);
  try {
    for (let round = 0; round < 3; round++) {
      const worker = new Worker(WORKER, { workerData: { nativePath, shmid, semName } });
      const errors: Error[] = [];
      worker.on('error', (e) => errors.push(e));
      const exit = new Promise<number>((r) => worker.once('exit', r));
      await new Promise<void>((resolve) => worker.once('message', () => resolve()));
      expect(native.shmctlStat(shmid).nattch).toBe(2);
      await worker.terminate();
      await exit;
      expect(errors).toEqual([]);
      await waitUntil(() => native.shmctlStat(shmid).nattch === 0, { message: "the worker's attachments to go" });
      await waitUntil(() => native.testing.waiterStats().threads === native.testing.waiterStats().idle, { message: 'waiter threads to be idle' });
    }
    // The semaphore was only closed in the worker: here it still works.
    native.semPost(sem);
    expect(native.semGetvalue(sem)).toBe(1);
  } finally {
    native.semClose(sem);
    native.semUnlink(semName);
    native.shmctlRemove(shmid);
  }
});
