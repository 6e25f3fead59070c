// Interop: a plain C program and Python's multiprocessing.shared_memory use the same segments,
// POSIX objects and semaphore sets as rxipc — plain bytes, no private header, ordinary semop.
import { join } from 'node:path';

import { IPC_PRIVATE, PosixSharedMemory, SemaphoreSet, SharedMemory } from '@rxipc/core';
import { describe, expect, it } from 'vitest';

import { compileC } from '../../../../test/support/cc.js';
import { fixturesDir, runChild, startChild, waitUntil } from '../../../../test/support/ipc.js';

const peer = () => compileC(join(fixturesDir, 'ipcpeer.c'));
let names = 0;
const posixName = () => `/rxipc-test-${process.pid}-interop-${names++}`;

describe('shared memory and semaphores with a C program and Python', () => {
  it('System V segment: C reads what rxipc wrote and rxipc reads what C wrote, at any offset', async () => {
    const shm = SharedMemory.open(IPC_PRIVATE, { size: 3333, create: true });
    try {
      shm.write(1000, 'from rxipc');
      const r = await runChild(peer(), ['shm-read', String(shm.id), '1000', '10']);
      expect(r.code, r.stderr).toBe(0);
      expect(Buffer.from(r.stdout.trim(), 'hex').toString()).toBe('from rxipc');
      const w = await runChild(peer(), ['shm-write', String(shm.id), '3320', 'from C']);
      expect(w.code, w.stderr).toBe(0);
      expect(shm.read(3320, 6).toString()).toBe('from C'); // seen without re-attaching
      expect(shm.buffer.subarray(3320, 3326).toString()).toBe('from C');
    } finally {
      shm.remove();
      await shm.close();
    }
  });

  it('POSIX object: C (shm_open + mmap) and Python multiprocessing.shared_memory see rxipc`s bytes, no header', async () => {
    const name = posixName();
    const shm = PosixSharedMemory.open(name, { size: 4096, create: true, exclusive: true });
    try {
      shm.write(0, 'plain bytes');
      const c = await runChild(peer(), ['posix-read', name, '0', '11']);
      expect(c.code, c.stderr).toBe(0);
      expect(Buffer.from(c.stdout.trim(), 'hex').toString()).toBe('plain bytes');
      // Python < 3.13 registers an attached object with its resource tracker, which would
      // unlink it at exit: unregister it (it is ours to remove).
      const py = [
        'from multiprocessing import shared_memory, resource_tracker',
        `s = shared_memory.SharedMemory(name=${JSON.stringify(name.slice(1))})`,
        'resource_tracker.unregister(s._name, "shared_memory")',
        'print(bytes(s.buf[:11]).decode()); s.buf[100:106] = b"python"; s.close()',
      ].join('\n');
      const p = await runChild('python3', ['-c', py]);
      expect(p.code, p.stderr).toBe(0);
      expect(p.stdout.trim()).toBe('plain bytes');
      expect(shm.read(100, 6).toString()).toBe('python');
    } finally {
      PosixSharedMemory.unlink(name);
      await shm.close();
    }
  });

  it('semaphores: a C semop blocked on a set rxipc made is woken by release(); a C release wakes acquire()', async () => {
    const sem = SemaphoreSet.open(IPC_PRIVATE, { count: 2, create: true, initial: [0, 0] });
    try {
      const blocked = startChild(peer(), ['semop', String(sem.id), '0', '-1']);
      await waitUntil(() => sem.waiting(0).ncnt === 1, 'the C process to block in semop');
      sem.release(0, 1, { undo: false });
      const r = await blocked.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('0 0');
      const acquiring = sem.acquire(1, { count: 2, undo: false });
      const c = await runChild(peer(), ['semop', String(sem.id), '1', '2']);
      expect(c.code, c.stderr).toBe(0);
      await acquiring;
      expect(sem.getAll()).toEqual([0, 0]);
      expect(sem.lastPid(1)).toBe(process.pid);
    } finally {
      sem.remove();
      await sem.close();
    }
  });
});
