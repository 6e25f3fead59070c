// Listings of every System V object on the machine: the *_STAT_ANY commands over the kernel's
// index space (0 ..= the highest index in use, from *_INFO), the way ipcs and lsipc read it.
// An index that is a hole answers EINVAL; an object removed between the two calls, EIDRM:
// both are skipped. *_STAT_ANY (Linux 4.17) checks no read permission, so every object shows.
import { native, type MsqidDs, type SemidDs } from '@rxipc/native';

import type { SystemError } from '../errors.js';
import type { SharedMemoryStat } from './shared-memory.js';

const { MSG_INFO, SHM_INFO, SEM_INFO, SHM_DEST, SHM_LOCKED, GETNCNT, GETZCNT, GETPID } = native.constants;

/** One queue of {@link MessageQueue.list}: its id and msqid_ds. */
export interface MessageQueueInfo extends MsqidDs {
  id: number;
}

/** One segment of {@link SharedMemory.list}: its id and what its stat() would say. */
export interface SharedMemoryInfo extends SharedMemoryStat {
  id: number;
}

/** One semaphore of a {@link SemaphoreSetInfo}. */
export interface SemaphoreInfo {
  value: number;
  /** Processes waiting for the value to grow (GETNCNT). */
  ncnt: number;
  /** Processes waiting for the value to be zero (GETZCNT). */
  zcnt: number;
  /** Pid of the last operation (GETPID). */
  pid: number;
}

/** One set of {@link SemaphoreSet.list}: its id, semid_ds, and each semaphore. */
export interface SemaphoreSetInfo extends SemidDs {
  id: number;
  /** Each semaphore's figures; undefined when this process may not read the set (EACCES). */
  semaphores: SemaphoreInfo[] | undefined;
}

function isGone(e: unknown): boolean {
  const code = (e as SystemError).code;
  return code === 'EINVAL' || code === 'EIDRM';
}

function each<T>(highest: number, stat: (index: number) => T): T[] {
  const out: T[] = [];
  for (let i = 0; i <= highest; i++) {
    try {
      out.push(stat(i));
    } catch (e) {
      if (!isGone(e)) throw e;
    }
  }
  return out;
}

export function listQueues(): MessageQueueInfo[] {
  return each(native.msgctlInfo(MSG_INFO).index, (i) => native.msgctlStatIndex(i, true));
}

export function listSegments(): SharedMemoryInfo[] {
  return each(native.shmctlInfo(SHM_INFO).index, (i) => {
    const ds = native.shmctlStatIndex(i, true);
    return {
      id: ds.id,
      perm: ds.perm,
      size: ds.segsz,
      nattch: ds.nattch,
      cpid: ds.cpid,
      lpid: ds.lpid,
      atime: ds.atime,
      dtime: ds.dtime,
      ctime: ds.ctime,
      removed: (ds.perm.mode & SHM_DEST) !== 0,
      locked: (ds.perm.mode & SHM_LOCKED) !== 0,
    };
  });
}

export function listSemaphoreSets(): SemaphoreSetInfo[] {
  const sets = each(native.semctlInfo(SEM_INFO).index, (i) => native.semctlStatIndex(i, true));
  return sets.map((ds) => {
    let semaphores: SemaphoreInfo[] | undefined;
    try {
      const values = native.semctlGetAll(ds.id);
      semaphores = values.map((value, n) => ({
        value,
        ncnt: native.semctlGet(ds.id, n, GETNCNT),
        zcnt: native.semctlGet(ds.id, n, GETZCNT),
        pid: native.semctlGet(ds.id, n, GETPID),
      }));
    } catch (e) {
      const code = (e as SystemError).code;
      if (code !== 'EACCES' && !isGone(e)) throw e;
    }
    return { ...ds, semaphores };
  });
}
