// Test support for semaphores: System V sets and POSIX named semaphores that are always
// removed after the test that made them, and unique keys and names.
//
// Invariant: only objects a test made (or a key it reserved as unused, and a child then
// created) are ever removed.
import { readFileSync } from 'node:fs';

import { IPC_PRIVATE, PosixSemaphore, SemaphoreSet, type SemaphoreSetOpenOptions } from '@rxipc/core';
import { native } from '@rxipc/native';
import { afterAll, afterEach } from 'vitest';

/** The rows of /proc/sysvipc/sem: key and semid. */
export function procSems(): Array<{ key: number; semid: number }> {
  const [, ...rows] = readFileSync('/proc/sysvipc/sem', 'utf8').trim().split('\n');
  return rows.map((row) => {
    const [key, semid] = row.trim().split(/\s+/).map(Number);
    return { key: key!, semid: semid! };
  });
}

/** Removes set `id` if it still exists. */
export function removeSemId(id: number): void {
  try {
    native.semctlRemove(id);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'EINVAL' && code !== 'EIDRM') throw err;
  }
}

let names = 0;

export interface SemFixture {
  /** A new IPC_PRIVATE set (mode 0o600 unless given), removed after the test. */
  create(options: Omit<SemaphoreSetOpenOptions, 'create' | 'exclusive'> & { count: number }): SemaphoreSet;
  /**
   * A key no set uses now; any set with that key is removed after the test (whoever made
   * it: a child of the test).
   */
  key(): number;
  /** A POSIX semaphore name unique to this process and test (/rxipc-test-<pid>-<n>), unlinked after. */
  name(): string;
  /** Registers a set id to remove after the test. */
  own(id: number): void;
}

/**
 * Registers an afterEach that closes and removes every set and name the test made.
 *
 * @example
 * const sems = useSemaphores();
 * it('counts', async () => { const s = sems.create({ count: 1, initial: 1 }); await s.acquire(0); });
 */
export function useSemaphores(): SemFixture {
  let made: SemaphoreSet[] = [];
  let ids = new Set<number>();
  let keys = new Set<number>();
  let posix: string[] = [];
  const cleanup = () => {
    const [sets, setIds, setKeys, posixNames] = [made, ids, keys, posix];
    made = [];
    ids = new Set();
    keys = new Set();
    posix = [];
    for (const s of sets) void s.close();
    for (const row of procSems()) if (setKeys.has(row.key)) setIds.add(row.semid);
    for (const id of setIds) removeSemId(id);
    for (const n of posixNames) {
      try {
        PosixSemaphore.unlink(n);
      } catch {
        /* unlinked by the test, or never created */
      }
    }
  };
  afterEach(cleanup);
  afterAll(cleanup);
  return {
    create(options) {
      const s = SemaphoreSet.open(IPC_PRIVATE, { ...options, create: true });
      made.push(s);
      ids.add(s.id);
      return s;
    },
    key() {
      const used = new Set(procSems().map((r) => r.key));
      for (;;) {
        // Positive keys in a range of our own; IPC_PRIVATE (0) never.
        const k = 0x52780000 + Math.floor(Math.random() * 0xffff) + 1;
        if (!used.has(k) && !keys.has(k)) {
          keys.add(k);
          return k;
        }
      }
    },
    name() {
      const n = `/rxipc-test-${process.pid}-${++names}`;
      posix.push(n);
      return n;
    },
    own(id) {
      ids.add(id);
    },
  };
}
