import { fstatSync, type Stats } from 'node:fs';

import { native } from '@rxipc/native';

import { TypedEventEmitter } from '../events.js';
import { abortError, closedError, errnos, notFifoError, systemError } from '../errors.js';
import {
  validateAbortSignal,
  validateBoolean,
  validateInteger,
  validateMode,
  validateOptions,
  validatePath,
  validateTimeout,
} from '../validate.js';
import { PendingTask } from '../wait.js';
import { closeQuietly, PipeReadable, PipeWritable } from './pipe.js';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CLOEXEC } = native.constants;

export interface FifoCreateOptions {
  /** Permission bits (before the umask). Default 0o600: never world-writable unless asked. */
  mode?: number;
  /** Remove the FIFO from the file system in `close()` (default false). */
  removeOnClose?: boolean;
}

export interface FifoOpenOptions {
  /** Gives up waiting for the peer: rejects with an AbortError. */
  signal?: AbortSignal;
  /** Gives up waiting for the peer after this many ms: rejects with ETIMEDOUT. */
  timeout?: number;
  /** Readable highWaterMark in bytes. */
  highWaterMark?: number;
}

export interface FifoReadableOptions extends FifoOpenOptions {
  /**
   * Server style: resolve at once and never see end-of-stream when a writer closes; the
   * next writer's data simply follows (the reader holds a write end of its own).
   * Default false: resolve when a writer opens; end when the last writer closes.
   */
  keepOpen?: boolean;
}

function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a FIFO';
}

/** Checked on the opened fd, so there is no check-then-open race. Closes fd on failure. */
function assertFifo(fd: number, path: string): void {
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (err) {
    closeQuietly(fd);
    throw err;
  }
  if (!st.isFIFO()) {
    closeQuietly(fd);
    throw notFifoError(path, kindOf(st));
  }
}

/** Opens `path` with a blocking open(2) on a waiter thread, honouring signal and timeout. */
async function openWaiting(path: string, flags: number, opts: FifoOpenOptions): Promise<number> {
  const signal = validateAbortSignal(opts.signal, 'options.signal');
  const timeout = validateTimeout(opts.timeout, 'options.timeout');
  if (signal?.aborted) throw abortError(signal);
  const task = new PendingTask(() => native.openWait(path, flags), { signal, timeout });
  const { errno, a, reason } = await task.result;
  const fd = a as number;
  if (errno === 0 && reason === undefined) return fd;
  if (errno === 0) closeQuietly(fd); // opened just as we gave up: nothing was read, close it
  if (reason === 'abort') throw abortError(signal);
  if (reason === 'timeout') throw systemError(errnos.ETIMEDOUT, 'open', path);
  throw systemError(errno, 'open', path);
}

export type FifoEvents = {
  /** close() ran (after removing the FIFO, if `removeOnClose`). */
  close: () => void;
};

/**
 * A named pipe (FIFO) in the file system, and the ways to open it. Opening never blocks the
 * event loop or the libuv thread pool: a wait for the peer runs on a waiter thread and can
 * be aborted.
 *
 * @example
 * const fifo = Fifo.create('/tmp/my.fifo', { removeOnClose: true });
 * const [r, w] = await Promise.all([fifo.openReadable(), fifo.openWritable()]);
 * w.end('hello');
 * r.on('data', (b) => console.log(b.toString()));
 * r.on('end', () => fifo.close());
 */
export class Fifo extends TypedEventEmitter<FifoEvents> {
  readonly path: string;
  readonly removeOnClose: boolean;
  #closed = false;

  private constructor(path: string, removeOnClose: boolean) {
    super();
    this.path = path;
    this.removeOnClose = removeOnClose;
  }

  /**
   * mkfifo(path, mode). Fails with EEXIST if anything exists at `path`.
   *
   * @example
   * using fifo = Fifo.create('/tmp/f', { mode: 0o600, removeOnClose: true });
   */
  static create(path: string, options?: FifoCreateOptions): Fifo {
    validatePath(path);
    const opts = validateOptions<FifoCreateOptions>(options);
    const mode = opts.mode === undefined ? 0o600 : validateMode(opts.mode, 'options.mode');
    const removeOnClose = opts.removeOnClose === undefined ? false : validateBoolean(opts.removeOnClose, 'options.removeOnClose');
    native.mkfifo(path, mode);
    return new Fifo(path, removeOnClose);
  }

  /**
   * mkfifoat(dirfd, name, mode): creates a FIFO relative to an open directory fd
   * (or `constants.AT_FDCWD`). Returns nothing: the FIFO is named by (dirfd, name).
   *
   * @example
   * const dir = fs.openSync('/tmp', 'r');
   * Fifo.createAt(dir, 'f', { mode: 0o600 });
   */
  static createAt(dirfd: number, name: string, options?: Pick<FifoCreateOptions, 'mode'>): void {
    validateInteger(dirfd, 'dirfd', native.constants.AT_FDCWD, 2 ** 31 - 1);
    validatePath(name, 'name');
    const opts = validateOptions<FifoCreateOptions>(options);
    const mode = opts.mode === undefined ? 0o600 : validateMode(opts.mode, 'options.mode');
    native.mkfifoat(dirfd, name, mode);
  }

  /**
   * Opens the FIFO at `path` for reading. Resolves when a writer appears (or at once with
   * `keepOpen`); the stream ends when the last writer closes (never, with `keepOpen`).
   * A path that is not a FIFO fails with `ERR_RXIPC_NOT_FIFO`.
   *
   * @example
   * const r = await Fifo.openReadable('/tmp/f', { signal: AbortSignal.timeout(5000) });
   * for await (const chunk of r) console.log(chunk.toString());
   */
  static async openReadable(path: string, options?: FifoReadableOptions): Promise<PipeReadable> {
    validatePath(path);
    const opts = validateOptions<FifoReadableOptions>(options);
    const keepOpen = opts.keepOpen === undefined ? false : validateBoolean(opts.keepOpen, 'options.keepOpen');
    const highWaterMark =
      opts.highWaterMark === undefined ? undefined : validateInteger(opts.highWaterMark, 'options.highWaterMark', 0, 2 ** 31 - 1);
    const hwm = highWaterMark !== undefined ? { highWaterMark } : {};
    if (!keepOpen) {
      const fd = await openWaiting(path, O_RDONLY | O_CLOEXEC, opts);
      assertFifo(fd, path);
      return new PipeReadable(fd, hwm);
    }
    validateAbortSignal(opts.signal, 'options.signal');
    validateTimeout(opts.timeout, 'options.timeout');
    if (opts.signal?.aborted) throw abortError(opts.signal);
    // Opened for reading and writing (Linux allows it on a FIFO, and it never waits): as a
    // writer of its own, the reader never sees end-of-stream between two writers.
    let fd: number;
    try {
      fd = native.openNonBlocking(path, O_RDWR | O_CLOEXEC);
    } catch (err) {
      if ((err as { code?: string }).code === 'EISDIR') throw notFifoError(path, 'a directory');
      throw err;
    }
    assertFifo(fd, path);
    return new PipeReadable(fd, hwm);
  }

  /**
   * Opens the FIFO at `path` for writing. Resolves when a reader is there (at once if one
   * already is): never fails with ENXIO for want of a reader. Rejects on abort or timeout.
   *
   * @example
   * const w = await Fifo.openWritable('/tmp/f', { timeout: 5000 });
   * w.end('hello\n');
   */
  static async openWritable(path: string, options?: FifoOpenOptions): Promise<PipeWritable> {
    validatePath(path);
    const opts = validateOptions<FifoOpenOptions>(options);
    validateAbortSignal(opts.signal, 'options.signal');
    validateTimeout(opts.timeout, 'options.timeout');
    if (opts.signal?.aborted) throw abortError(opts.signal);
    let fd: number;
    try {
      fd = native.openNonBlocking(path, O_WRONLY | O_CLOEXEC); // a reader is already there
    } catch (err) {
      // A directory cannot be opened for writing: the kernel says EISDIR before we could fstat.
      if ((err as { code?: string }).code === 'EISDIR') throw notFifoError(path, 'a directory');
      if ((err as { code?: string }).code !== 'ENXIO') throw err;
      fd = await openWaiting(path, O_WRONLY | O_CLOEXEC, opts);
    }
    assertFifo(fd, path);
    return new PipeWritable(fd);
  }

  /** {@link Fifo.openReadable} on this FIFO. */
  openReadable(options?: FifoReadableOptions): Promise<PipeReadable> {
    if (this.#closed) return Promise.reject(closedError(`Fifo '${this.path}'`));
    return Fifo.openReadable(this.path, options);
  }

  /** {@link Fifo.openWritable} on this FIFO. */
  openWritable(options?: FifoOpenOptions): Promise<PipeWritable> {
    if (this.#closed) return Promise.reject(closedError(`Fifo '${this.path}'`));
    return Fifo.openWritable(this.path, options);
  }

  /** unlink(path). Streams already open keep working. */
  remove(): void {
    native.unlink(this.path);
  }

  /** Forgets the FIFO, removing it from the file system if `removeOnClose` was set. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.removeOnClose) {
      try {
        native.unlink(this.path);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
      }
    }
    this.emit('close');
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * unlink(path) with a system error on failure.
 *
 * @example
 * unlink('/tmp/f');
 */
export function unlink(path: string): void {
  native.unlink(validatePath(path));
}

/**
 * unlinkat(dirfd, name, flags): flags 0 or `constants.AT_REMOVEDIR`.
 *
 * @example
 * unlinkAt(dirFd, 'f');
 */
export function unlinkAt(dirfd: number, name: string, flags = 0): void {
  validateInteger(dirfd, 'dirfd', native.constants.AT_FDCWD, 2 ** 31 - 1);
  native.unlinkat(dirfd, validatePath(name, 'name'), validateInteger(flags, 'flags', 0, 2 ** 31 - 1));
}
