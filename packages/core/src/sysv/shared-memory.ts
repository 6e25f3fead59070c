import { native, type IpcPerm, type ShmLimits, type ShmUsage } from '@rxipc/native';

import { invalidArgValue, outOfRange, type SystemError } from '../errors.js';
import { mappingLife, SharedMapping } from '../shm/mapping.js';
import { listSegments, type SharedMemoryInfo } from './list.js';
import { MAX_SAFE_INTEGER, validateBoolean, validateInteger, validateMode, validateOptions } from '../validate.js';

const { IPC_CREAT, IPC_EXCL, IPC_INFO, IPC_PRIVATE, SHM_INFO, SHM_RDONLY, SHM_HUGETLB, SHM_HUGE_2MB, SHM_HUGE_1GB, SHM_DEST, SHM_LOCKED } =
  native.constants;

export interface SharedMemoryOpenOptions {
  /**
   * Size in bytes. Required (>= 1) with `create`: a new segment has this size, zero-filled.
   * Opening an existing segment: 0 or omitted takes it whatever its size; a size larger than
   * the segment fails with EINVAL (the kernel's rule).
   */
  size?: number;
  /** IPC_CREAT: create the segment if it does not exist (default false). */
  create?: boolean;
  /** IPC_EXCL: with `create`, fail with EEXIST if it exists (default false). */
  exclusive?: boolean;
  /** Permission bits for a new segment. Default 0o600: never world-writable unless asked. */
  mode?: number;
  /** SHM_RDONLY: attach read-only (then `buffer`, `write` and `publish` fail; see {@link SharedMemory.buffer}). */
  readOnly?: boolean;
  /**
   * SHM_HUGETLB: back a new segment with huge pages (true: the default size; or '2MB' /
   * '1GB'). Needs pages reserved in /proc/sys/vm/nr_hugepages: without them shmget fails
   * with ENOMEM (or EPERM without the right to use them).
   */
  hugePages?: boolean | '2MB' | '1GB';
}

export interface SharedMemoryFromIdOptions {
  readOnly?: boolean;
}

/** shmid_ds, as shmctl(IPC_STAT) reports it (times in seconds since the epoch, 0 = never). */
export interface SharedMemoryStat {
  /** shm_segsz: the size in bytes. */
  size: number;
  /** Attachments, in every process. */
  nattch: number;
  /** Creator's pid. */
  cpid: number;
  /** Pid of the last shmat / shmdt. */
  lpid: number;
  /** Last attach, last detach, last change. */
  atime: number;
  dtime: number;
  ctime: number;
  /** Owner, creator and mode (mode carries SHM_DEST / SHM_LOCKED above the permission bits). */
  perm: IpcPerm;
  /** Marked for removal (SHM_DEST): removed, still attached somewhere; the key is free. */
  removed: boolean;
  /** SHM_LOCK is in effect. */
  locked: boolean;
}

export interface SharedMemorySetOptions {
  mode?: number;
  uid?: number;
  gid?: number;
}

export type SharedMemoryLimits = ShmLimits;
export type SharedMemoryUsage = ShmUsage;
export type { SharedMemoryInfo };

/**
 * A System V shared memory segment, attached in this process. `buffer` is the memory itself
 * (an external ArrayBuffer over the attachment): writes are seen by every process at once.
 * `read` / `write` are bounds-checked copies; `publish` / `snapshot` / `waitForChange` give
 * change feeds that never tear (a seqlock record, see {@link SharedMapping.publish}).
 * After `detach()` every old view has length 0: use after detach is an error, never a crash.
 *
 * @example
 * const shm = SharedMemory.open(IPC_PRIVATE, { size: 4096, create: true });
 * shm.write(0, 'hello');
 * shm.read(0, 5).toString(); // 'hello'
 * shm.remove(); // the key is free now; the memory stays until the last detach
 * await shm.close();
 */
export class SharedMemory extends SharedMapping {
  /** The segment id (shmid). */
  readonly id: number;
  /** The key it was opened with (IPC_PRIVATE = 0), undefined for {@link SharedMemory.fromId}. */
  readonly key: number | undefined;

  private constructor(id: number, key: number | undefined, readOnly: boolean) {
    super(native.shmat(id, readOnly ? SHM_RDONLY : 0), {
      what: 'SharedMemory',
      exists: () => segmentExists(id),
      unmap: (handle) => native.shmdt(handle),
    });
    this.id = id;
    this.key = key;
  }

  /**
   * shmget(key, size, flags) + shmat: opens (or with `create`, makes) the segment for `key`
   * and attaches it. A new segment is zero-filled.
   *
   * @example
   * const shm = SharedMemory.open(ftok('/tmp', 7), { size: 65536, create: true, mode: 0o600 });
   */
  static open(key: number, options?: SharedMemoryOpenOptions): SharedMemory {
    validateInteger(key, 'key', -(2 ** 31), 2 ** 32 - 1);
    const opts = validateOptions<SharedMemoryOpenOptions>(options);
    const create = opts.create === undefined ? false : validateBoolean(opts.create, 'options.create');
    const exclusive = opts.exclusive === undefined ? false : validateBoolean(opts.exclusive, 'options.exclusive');
    const mode = opts.mode === undefined ? 0o600 : validateMode(opts.mode, 'options.mode');
    const readOnly = opts.readOnly === undefined ? false : validateBoolean(opts.readOnly, 'options.readOnly');
    const size = opts.size === undefined ? 0 : validateInteger(opts.size, 'options.size', 0, MAX_SAFE_INTEGER);
    if (create && size === 0) throw outOfRange('options.size', '>= 1 when creating', size);
    const huge = hugeFlags(opts.hugePages);
    const flags = (create ? IPC_CREAT : 0) | (exclusive ? IPC_EXCL : 0) | huge | mode;
    const id = native.shmget(key, size, flags);
    try {
      return new SharedMemory(id, key, readOnly);
    } catch (err) {
      // A private segment made here that cannot be attached is nobody's: remove it.
      if (create && (key === IPC_PRIVATE || exclusive)) {
        try {
          native.shmctlRemove(id);
        } catch {
          /* the attach error is the one to report */
        }
      }
      throw err;
    }
  }

  /**
   * Attaches the segment `id` (for example one a parent made with IPC_PRIVATE and passed on).
   * Fails with EINVAL if there is no such segment, EACCES without permission.
   *
   * @example
   * const shm = SharedMemory.fromId(Number(process.env.SHM_ID), { readOnly: true });
   */
  static fromId(id: number, options?: SharedMemoryFromIdOptions): SharedMemory {
    validateInteger(id, 'id', 0, 2 ** 31 - 1);
    const opts = validateOptions<SharedMemoryFromIdOptions>(options);
    const readOnly = opts.readOnly === undefined ? false : validateBoolean(opts.readOnly, 'options.readOnly');
    return new SharedMemory(id, undefined, readOnly);
  }

  /**
   * The kernel's limits (shmctl IPC_INFO): shmmax (largest segment), shmmin, shmmni (most
   * segments), shmall (total pages). Values above 2^53 are approximate.
   *
   * @example
   * SharedMemory.limits().shmmni; // 4096
   */
  static limits(): SharedMemoryLimits {
    return native.shmctlInfo(IPC_INFO) as ShmLimits;
  }

  /**
   * Every segment on the machine (shmctl SHM_STAT_ANY over the kernel's index space, as
   * `ipcs` reads it), whoever owns it, segments marked for removal included.
   *
   * @example
   * SharedMemory.list().filter((s) => s.nattch === 0);
   */
  static list(): SharedMemoryInfo[] {
    return listSegments();
  }

  /**
   * System-wide usage (shmctl SHM_INFO): usedIds (segments), shmTot (pages), shmRss, shmSwp.
   *
   * @example
   * SharedMemory.usage().usedIds;
   */
  static usage(): SharedMemoryUsage {
    return native.shmctlInfo(SHM_INFO) as ShmUsage;
  }

  /**
   * shmctl(IPC_STAT). Works after detach(); after the segment is gone (removed and detached
   * everywhere) it fails with EIDRM.
   *
   * @example
   * const { nattch, removed } = shm.stat();
   */
  stat(): SharedMemoryStat {
    const life = mappingLife(this);
    life.assertOpen();
    const ds = life.call(() => native.shmctlStat(this.id), 'shmctl');
    const removed = (ds.perm.mode & SHM_DEST) !== 0;
    if (removed) life.markRemoved();
    return {
      size: ds.segsz,
      nattch: ds.nattch,
      cpid: ds.cpid,
      lpid: ds.lpid,
      atime: ds.atime,
      dtime: ds.dtime,
      ctime: ds.ctime,
      perm: ds.perm,
      removed,
      locked: (ds.perm.mode & SHM_LOCKED) !== 0,
    };
  }

  /**
   * shmctl(IPC_SET) of the given fields.
   *
   * @example
   * shm.set({ mode: 0o640 });
   */
  set(fields: SharedMemorySetOptions): void {
    const f = validateOptions<SharedMemorySetOptions>(fields, 'fields');
    const out: { uid?: number; gid?: number; mode?: number } = {};
    if (f.mode !== undefined) out.mode = validateMode(f.mode, 'fields.mode');
    if (f.uid !== undefined) out.uid = validateInteger(f.uid, 'fields.uid', 0, 2 ** 32 - 2);
    if (f.gid !== undefined) out.gid = validateInteger(f.gid, 'fields.gid', 0, 2 ** 32 - 2);
    const life = mappingLife(this);
    life.assertOpen();
    life.call(() => native.shmctlSet(this.id, out), 'shmctl');
  }

  /**
   * shmctl(IPC_RMID): marks the segment for removal. The key is free at once (a new open of
   * it makes a new segment or fails with ENOENT); the memory stays usable through every
   * existing attachment, this one included, and goes with the last detach. Emits 'removed'.
   * Pending `waitForChange` calls go on waiting: the memory they watch is still there.
   *
   * @example
   * shm.remove();
   */
  remove(): void {
    const life = mappingLife(this);
    life.assertOpen();
    life.call(() => native.shmctlRemove(this.id), 'shmctl');
    life.markRemoved();
  }

  /**
   * shmctl(SHM_LOCK): keeps the segment's pages in RAM (never swapped). Needs
   * CAP_IPC_LOCK or RLIMIT_MEMLOCK room (EPERM / ENOMEM otherwise).
   *
   * @example
   * shm.lock();
   */
  lock(): void {
    this.#lock(true);
  }

  /**
   * shmctl(SHM_UNLOCK).
   *
   * @example
   * shm.unlock();
   */
  unlock(): void {
    this.#lock(false);
  }

  #lock(on: boolean): void {
    const life = mappingLife(this);
    life.assertOpen();
    life.call(() => native.shmctlLock(this.id, on), 'shmctl');
  }
}

function hugeFlags(value: unknown): number {
  if (value === undefined || value === false) return 0;
  if (value === true) return SHM_HUGETLB;
  if (value === '2MB') return SHM_HUGETLB | SHM_HUGE_2MB;
  if (value === '1GB') return SHM_HUGETLB | SHM_HUGE_1GB;
  throw invalidArgValue('options.hugePages', "must be a boolean, '2MB' or '1GB'", value);
}

/** Whether segment `id` still exists. */
function segmentExists(id: number): boolean {
  try {
    native.shmctlStat(id);
    return true;
  } catch (e) {
    return (e as SystemError).code !== 'EINVAL' && (e as SystemError).code !== 'EIDRM';
  }
}
