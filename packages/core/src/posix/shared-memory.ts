import { closeSync, fchmodSync, fchownSync, readlinkSync } from 'node:fs';

import { native, type FileStat } from '@rxipc/native';

import { errnos, invalidArgValue, outOfRange, systemError } from '../errors.js';
import { mappingLife, SharedMapping } from '../shm/mapping.js';
import { MAX_SAFE_INTEGER, validateBoolean, validateInteger, validateMode, validateOptions, validateString } from '../validate.js';

const { O_RDONLY, O_RDWR, O_CREAT, O_EXCL, PROT_READ, PROT_WRITE } = native.constants;

export interface PosixSharedMemoryOpenOptions {
  /**
   * Size in bytes. Required (>= 1) with `create`: an empty (new) object is grown to it with
   * ftruncate, zero-filled. An existing object smaller than `size` fails with EINVAL (as
   * System V does); 0 or omitted maps whatever size it has.
   */
  size?: number;
  /** O_CREAT (default false). */
  create?: boolean;
  /** O_EXCL: with `create`, fail with EEXIST if it exists (default false). */
  exclusive?: boolean;
  /** Permission bits for a new object. Default 0o600. */
  mode?: number;
  /** O_RDONLY + PROT_READ: map read-only (then `buffer`, `write` and `publish` fail). */
  readOnly?: boolean;
}

/** fstat of the object: size, mode (with the file type bits), owner. */
export type PosixSharedMemoryStat = FileStat;

export interface PosixSharedMemorySetOptions {
  mode?: number;
  uid?: number;
  gid?: number;
}

/**
 * A POSIX shared memory object (`shm_open`, a file in /dev/shm) mapped in this process, with
 * the same memory surface as {@link SharedMemory}: `buffer`, bounds-checked `read` / `write`,
 * seqlock records (`publish` / `snapshot` / `waitForChange`), `detach`, `close`.
 *
 * @example
 * const shm = PosixSharedMemory.open('/my-status', { size: 4096, create: true });
 * shm.publish(0, 'ready');
 * PosixSharedMemory.unlink('/my-status');
 * await shm.close();
 */
export class PosixSharedMemory extends SharedMapping {
  /** The object's name ('/name'). */
  readonly name: string;
  readonly #fd: number;

  private constructor(name: string, fd: number, size: number, readOnly: boolean) {
    super(native.mmap(fd, size, readOnly ? PROT_READ : PROT_READ | PROT_WRITE, 0), {
      what: 'PosixSharedMemory',
      exists: () => true,
      unmap: (handle) => native.munmap(handle),
      release: () => closeSync(fd),
    });
    this.name = name;
    this.#fd = fd;
  }

  /**
   * shm_open + mmap of the whole object. `name` is '/' followed by 1..254 characters without
   * another '/' (checked before any syscall).
   *
   * @example
   * const shm = PosixSharedMemory.open('/rxipc-status', { size: 4096, create: true, mode: 0o600 });
   */
  static open(name: string, options?: PosixSharedMemoryOpenOptions): PosixSharedMemory {
    validateShmName(name);
    const opts = validateOptions<PosixSharedMemoryOpenOptions>(options);
    const create = opts.create === undefined ? false : validateBoolean(opts.create, 'options.create');
    const exclusive = opts.exclusive === undefined ? false : validateBoolean(opts.exclusive, 'options.exclusive');
    const mode = opts.mode === undefined ? 0o600 : validateMode(opts.mode, 'options.mode');
    const readOnly = opts.readOnly === undefined ? false : validateBoolean(opts.readOnly, 'options.readOnly');
    const size = opts.size === undefined ? 0 : validateInteger(opts.size, 'options.size', 0, MAX_SAFE_INTEGER);
    if (create && size === 0) throw outOfRange('options.size', '>= 1 when creating', size);
    const flags = (readOnly ? O_RDONLY : O_RDWR) | (create ? O_CREAT : 0) | (exclusive ? O_EXCL : 0);
    const fd = native.shmOpen(name, flags, mode);
    try {
      let have = native.fstat(fd).size;
      if (have === 0 && size > 0 && !readOnly) {
        native.ftruncate(fd, size);
        have = size;
      }
      if (have < size || have === 0) throw Object.assign(systemError(errnos.EINVAL, 'shm_open', name), { size: have });
      return new PosixSharedMemory(name, fd, have, readOnly);
    } catch (err) {
      closeSync(fd);
      if (create && exclusive) {
        // Made here and unusable: nobody else can have it yet.
        try {
          native.shmUnlink(name);
        } catch {
          /* the first error is the one to report */
        }
      }
      throw err;
    }
  }

  /**
   * Maps a POSIX shared memory object from a descriptor this process was given: received
   * over a unix socket (SCM_RIGHTS, `msg.takeFds()`) or inherited through spawn's stdio. The
   * whole object is mapped (its fstat size). On success the object owns `fd` (`close()`
   * closes it); if this throws, `fd` is still the caller's. `name` is read from
   * /proc/self/fd ('' when the object's name was unlinked already: then `remove()` fails).
   * An fd opened O_RDONLY needs `readOnly: true` (mmap says EACCES otherwise).
   *
   * @example
   * conn.on('data', (msg) => {
   *   const [fd] = msg.takeFds();
   *   const shm = PosixSharedMemory.fromFd(fd!);
   *   console.log(shm.snapshot(0).data.toString());
   * });
   */
  static fromFd(fd: number, options?: Pick<PosixSharedMemoryOpenOptions, 'readOnly'>): PosixSharedMemory {
    validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
    const opts = validateOptions<Pick<PosixSharedMemoryOpenOptions, 'readOnly'>>(options);
    const readOnly = opts.readOnly === undefined ? false : validateBoolean(opts.readOnly, 'options.readOnly');
    const st = native.fstat(fd);
    if ((st.mode & 0o170000) !== 0o100000) {
      throw invalidArgValue('fd', 'must be a POSIX shared memory object (a regular file in /dev/shm)', fd);
    }
    if (st.size === 0) throw Object.assign(systemError(errnos.EINVAL, 'mmap'), { size: 0 });
    return new PosixSharedMemory(shmNameOf(fd), fd, st.size, readOnly);
  }

  /**
   * The object's descriptor (O_CLOEXEC, open until `close()`): hand it to another process
   * (`conn.write({ data, fds: [shm.fd] })`, or spawn's stdio), which maps the same memory
   * with {@link PosixSharedMemory.fromFd}. The receiver gets its own descriptor: this one
   * stays this object's.
   */
  get fd(): number {
    mappingLife(this).assertOpen();
    return this.#fd;
  }

  /**
   * shm_unlink: removes the name (ENOENT if there is none). Mappings stay usable; the memory
   * goes with the last one.
   *
   * @example
   * PosixSharedMemory.unlink('/rxipc-status');
   */
  static unlink(name: string): void {
    validateShmName(name);
    native.shmUnlink(name);
  }

  /**
   * fstat of the object: size, mode, uid, gid.
   *
   * @example
   * shm.stat().size;
   */
  stat(): PosixSharedMemoryStat {
    mappingLife(this).assertOpen();
    return native.fstat(this.#fd);
  }

  /**
   * fchmod / fchown of the object.
   *
   * @example
   * shm.set({ mode: 0o640 });
   */
  set(fields: PosixSharedMemorySetOptions): void {
    const f = validateOptions<PosixSharedMemorySetOptions>(fields, 'fields');
    const mode = f.mode === undefined ? undefined : validateMode(f.mode, 'fields.mode');
    const uid = f.uid === undefined ? -1 : validateInteger(f.uid, 'fields.uid', 0, 2 ** 32 - 2);
    const gid = f.gid === undefined ? -1 : validateInteger(f.gid, 'fields.gid', 0, 2 ** 32 - 2);
    mappingLife(this).assertOpen();
    if (mode !== undefined) fchmodSync(this.#fd, mode);
    if (uid !== -1 || gid !== -1) fchownSync(this.#fd, uid, gid);
  }

  /**
   * shm_unlink of this object's name. The mapping stays usable; emits 'removed'.
   *
   * @example
   * shm.remove();
   */
  remove(): void {
    const life = mappingLife(this);
    life.assertOpen();
    native.shmUnlink(this.name);
    life.markRemoved();
  }
}

/** '/name' of the object behind fd (/proc/self/fd/N -> /dev/shm/name), '' if unlinked or elsewhere. */
function shmNameOf(fd: number): string {
  try {
    const target = readlinkSync(`/proc/self/fd/${fd}`);
    const m = /^\/dev\/shm(\/[^/]+)$/.exec(target);
    return m ? m[1]! : '';
  } catch {
    return '';
  }
}

/** '/' + 1..254 characters, no other '/', no NUL (NAME_MAX is 255 with the slash). */
function validateShmName(value: unknown): string {
  const name = validateString(value, 'name');
  const bytes = Buffer.byteLength(name);
  if (bytes < 2 || bytes > 255) throw outOfRange('name', 'between 2 and 255 bytes long', bytes);
  if (name[0] !== '/' || name.indexOf('/', 1) !== -1) {
    throw invalidArgValue('name', "must be '/' followed by a name without another '/'", name);
  }
  if (name.includes('\0')) throw invalidArgValue('name', 'must be a string without null bytes', name.replace(/\0/g, '\\x00'));
  return name;
}
