// What System V segments (shmat) and POSIX objects (mmap) share once mapped: a bounds-checked
// view of the memory, detach, the lifecycle, and the seqlock record protocol (record.ts).
//
// Invariants:
// - `#mapped` is the live mapping or undefined; once undefined (detach / close) it never comes
//   back, and every access fails with a coded error instead of touching memory.
// - JS never holds a writable view of a read-only mapping (there is none: the native layer
//   gives no ArrayBuffer for it), so no JS can make the process fault on it.
// - A futex wait of this object is tracked by the lifecycle: close() cancels it, detach()
//   makes the native layer cancel it and wait for it before unmapping.
import { constants as osConstants } from 'node:os';

import { native, type Mapped } from '@rxipc/native';

import { TypedEventEmitter } from '../events.js';
import { abortError, closedError, detachedError, errnos, outOfRange, readOnlyError, systemError, withCode } from '../errors.js';
import { Lifecycle } from '../lifecycle.js';
import { MAX_SAFE_INTEGER, toBytes, validateAbortSignal, validateInteger, validateOptions, validateTimeout, type Payload } from '../validate.js';
import { PendingTask } from '../wait.js';
import { RECORD_HEADER, beginWrite, endWrite, validateRecordOffset } from './record.js';

export type SharedMemoryEvents = {
  /** close() was called. */
  close: () => void;
  /** The object was removed (System V: IPC_RMID; POSIX: shm_unlink), by this object or found so. */
  removed: () => void;
};

/** One consistent read of a published record: its sequence number (even) and its data. */
export interface RecordSnapshot {
  /** The record's sequence number when it was read (even; 0 = never published). */
  seq: number;
  /** A copy of the record's data. */
  data: Buffer;
}

export interface WaitForChangeOptions {
  signal?: AbortSignal;
  /** Milliseconds; then the promise rejects with ETIMEDOUT. */
  timeout?: number;
}

interface MappingHooks {
  readonly what: string;
  /** Whether the kernel object still exists (lifecycle's EINVAL -> EIDRM rule). */
  exists(): boolean;
  /** Unmaps (shmdt / munmap). */
  unmap(handle: number): void;
  /** Releases what else the object holds (an fd), once, at close(). */
  release?(): void;
}

const { EAGAIN } = osConstants.errno;

const lives = new WeakMap<SharedMapping, Lifecycle>();

/**
 * What an object dropped without close() still holds, released when it is garbage-collected:
 * a read-only mapping (it has no ArrayBuffer, hence no native finalizer; a writable one is
 * unmapped by its ArrayBuffer's finalizer) and what `release` frees (a POSIX object's fd).
 * Never references the object itself.
 */
interface Held {
  handle: number | undefined;
  readonly unmap: (handle: number) => void;
  release: (() => void) | undefined;
}

const dropped = new FinalizationRegistry<Held>((held) => {
  try {
    if (held.handle !== undefined) held.unmap(held.handle);
  } catch {
    /* unmapped already */
  }
  try {
    held.release?.();
  } catch {
    /* released already */
  }
});

/** The lifecycle of a shared-memory object (for its subclass's kernel calls). */
export function mappingLife(m: SharedMapping): Lifecycle {
  return lives.get(m)!;
}

/** How long snapshot() retries a record whose writer stays in the middle of a write. */
const SNAPSHOT_PATIENCE_MS = 100;

/**
 * The part of {@link SharedMemory} and {@link PosixSharedMemory} that works on the mapped
 * memory. Not constructed directly.
 */
export abstract class SharedMapping extends TypedEventEmitter<SharedMemoryEvents> {
  /** Bytes before a record's data: `[u32 sequence][u32 length]` (see {@link SharedMapping.publish}). */
  static readonly RECORD_HEADER = RECORD_HEADER;

  /** The mapped size in bytes. */
  readonly size: number;
  /** Whether the memory is attached read-only (then `buffer`, `write` and `publish` fail). */
  readonly readOnly: boolean;

  #mapped: Mapped | undefined;
  #buffer: Buffer | undefined;
  #words: Int32Array | undefined;
  readonly #hooks: MappingHooks;
  readonly #life: Lifecycle;
  readonly #held: Held;

  protected constructor(mapped: Mapped, hooks: MappingHooks) {
    super();
    this.size = mapped.length;
    this.readOnly = !mapped.writable;
    this.#mapped = mapped;
    this.#hooks = hooks;
    if (mapped.buffer) {
      this.#buffer = Buffer.from(mapped.buffer);
      this.#words = new Int32Array(mapped.buffer, 0, mapped.length >>> 2);
    }
    this.#held = { handle: mapped.writable ? undefined : mapped.handle, unmap: hooks.unmap, release: hooks.release };
    dropped.register(this, this.#held, this);
    this.#life = new Lifecycle({
      what: hooks.what,
      exists: () => hooks.exists(),
      onRemoved: () => this.emit('removed'),
      onClosed: () => {
        this.detach();
        this.#held.release = undefined;
        dropped.unregister(this);
        hooks.release?.();
        this.emit('close');
      },
      drained: () => Promise.resolve(),
    });
    lives.set(this, this.#life);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#life.closed;
  }

  /** Whether the memory is no longer mapped in this process (after detach() or close()). */
  get detached(): boolean {
    return this.#mapped === undefined;
  }

  /**
   * A Buffer over the whole memory itself (not a copy): what one process writes, every
   * attachment sees at once. After detach() every view of it has length 0 (reads give
   * undefined, writes are ignored: never a crash). Throws ERR_RXIPC_READ_ONLY for a
   * read-only attachment (a JS write to read-only memory would kill the process; use
   * {@link SharedMapping.read}), ERR_RXIPC_DETACHED after detach(), ERR_RXIPC_CLOSED after close().
   *
   * @example
   * shm.buffer.write('hello', 0);
   * new Uint32Array(shm.buffer.buffer, 0, 4)[1] = 42;
   */
  get buffer(): Buffer {
    this.#live();
    if (this.#buffer === undefined) throw readOnlyError(this.#hooks.what);
    return this.#buffer;
  }

  /**
   * A copy of `length` bytes at `offset` (default: to the end). A read running past the end
   * is clamped to the end (an offset at or past the end gives an empty Buffer). Works on
   * read-only attachments.
   *
   * @example
   * const header = shm.read(0, 64);
   */
  read(offset = 0, length?: number): Buffer {
    validateInteger(offset, 'offset', 0, MAX_SAFE_INTEGER);
    const n = length === undefined ? Math.max(0, this.size - offset) : validateInteger(length, 'length', 0, MAX_SAFE_INTEGER);
    const m = this.#live();
    return native.mappingRead(m.handle, Math.min(offset, this.size), Math.min(n, Math.max(0, this.size - offset)));
  }

  /**
   * Copies all of `data` (Buffer, Uint8Array or a UTF-8 string) to `offset`. A write that
   * does not fit is a RangeError (ERR_OUT_OF_RANGE) and changes nothing.
   *
   * @example
   * shm.write(16, 'status: ok');
   */
  write(offset: number, data: Payload): void {
    validateInteger(offset, 'offset', 0, MAX_SAFE_INTEGER);
    const bytes = toBytes(data, 'data');
    const m = this.#live();
    if (!m.writable) throw readOnlyError(this.#hooks.what);
    if (offset + bytes.length > this.size) throw outOfRange('offset + data.length', `<= ${this.size} (the size)`, offset + bytes.length);
    if (bytes.length > 0) this.#buffer!.set(bytes, offset); // (a view of a detached buffer is empty, and set() would throw)
  }

  /**
   * Publishes `data` as the record at `offset` (a multiple of 4) with a seqlock, then wakes
   * every futex waiter on it (in any process). Layout, little-endian (x86 / arm64 Linux):
   *
   * ```
   * offset + 0  u32 sequence   odd while a write is in progress, even when done (0 = never)
   * offset + 4  u32 length     bytes of data in the record
   * offset + 8  data           `length` bytes
   * ```
   *
   * A writer: sequence += 1 (odd), write length and data, sequence += 1 (even), FUTEX_WAKE
   * on the sequence word. One writer per record at a time (serialize writers yourself).
   * Readers ({@link SharedMapping.snapshot}) never see a torn record. Returns the new
   * (even) sequence. A record that does not fit is a RangeError and writes nothing.
   *
   * @example
   * shm.publish(0, JSON.stringify({ state: 'ready', at: Date.now() }));
   */
  publish(offset: number, data: Payload): number {
    validateRecordOffset(offset, this.size);
    const bytes = toBytes(data, 'data');
    const m = this.#live();
    if (!m.writable) throw readOnlyError(this.#hooks.what);
    if (offset + RECORD_HEADER + bytes.length > this.size) {
      throw outOfRange('data.length', `<= ${this.size - offset - RECORD_HEADER} (the room after the record header)`, bytes.length);
    }
    const words = this.#words!;
    const seq = beginWrite(words, offset);
    Atomics.store(words, (offset >> 2) + 1, bytes.length);
    if (bytes.length > 0) this.#buffer!.set(bytes, offset + RECORD_HEADER);
    const done = endWrite(words, offset, seq);
    native.futexWake(m.handle, offset, 0x7fffffff);
    return done;
  }

  /**
   * A consistent copy of the record at `offset` (see {@link SharedMapping.publish}): retries
   * while a write is in progress, so the data is never torn. At most `capacity` bytes of
   * data are copied (default: up to the end). Fails with ERR_RXIPC_RECORD_BUSY if the
   * sequence stays odd for 100 ms (a writer that died mid-write).
   *
   * @example
   * const { seq, data } = shm.snapshot(0);
   */
  snapshot(offset: number, capacity?: number): RecordSnapshot {
    validateRecordOffset(offset, this.size);
    const room = this.size - offset - RECORD_HEADER;
    const cap = capacity === undefined ? room : Math.min(room, validateInteger(capacity, 'capacity', 0, MAX_SAFE_INTEGER));
    const { handle } = this.#live();
    let deadline = 0;
    for (let tries = 1; ; tries++) {
      const before = native.mappingLoad32(handle, offset);
      if ((before & 1) === 0) {
        const length = native.mappingLoad32(handle, offset + 4);
        const data = native.mappingRead(handle, offset + RECORD_HEADER, Math.min(length, cap));
        if (native.mappingLoad32(handle, offset) === before) return { seq: before, data };
      }
      if (tries % 64 === 0) {
        const now = performance.now();
        if (deadline === 0) deadline = now + SNAPSHOT_PATIENCE_MS;
        else if (now > deadline) {
          throw withCode(new Error(`the record at offset ${offset} stays mid-write (sequence ${before})`), 'ERR_RXIPC_RECORD_BUSY');
        }
      }
    }
  }

  /**
   * Resolves with the record's new sequence once it differs from `lastSeq` and is even (a
   * write completed): at once if it already does, otherwise after FUTEX_WAIT on the sequence
   * word on a waiter thread (never the event loop or the libuv pool). Rejects with an
   * AbortError on `signal`, ETIMEDOUT after `timeout` ms, ERR_RXIPC_DETACHED / ERR_RXIPC_CLOSED
   * when this object is detached / closed meanwhile.
   *
   * @example
   * let { seq, data } = shm.snapshot(0);
   * seq = await shm.waitForChange(0, seq, { timeout: 5000 });
   */
  waitForChange(offset: number, lastSeq: number, options?: WaitForChangeOptions): Promise<number> {
    try {
      validateRecordOffset(offset, this.size);
      const last = validateInteger(lastSeq, 'lastSeq', -(2 ** 31), 2 ** 32 - 1) >>> 0;
      const opts = validateOptions<WaitForChangeOptions>(options);
      const signal = validateAbortSignal(opts.signal, 'options.signal');
      const timeout = validateTimeout(opts.timeout, 'options.timeout');
      this.#live();
      return this.#waitForChange(offset, last, signal, timeout === undefined ? undefined : performance.now() + timeout);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Unmaps the memory from this process (shmdt / munmap). Every view of `buffer` becomes
   * length 0; read, write, buffer, publish and snapshot then fail with ERR_RXIPC_DETACHED;
   * pending waits reject with it. The kernel object stays (stat, set, remove still work).
   * Idempotent.
   *
   * @example
   * shm.detach();
   */
  detach(): void {
    const m = this.#mapped;
    if (m === undefined) return;
    this.#mapped = undefined;
    this.#buffer = undefined;
    this.#words = undefined;
    this.#held.handle = undefined;
    this.#hooks.unmap(m.handle);
  }

  /**
   * Detaches, ends this object's waits and releases it; the kernel object stays (see
   * remove()). Idempotent; the promise never rejects.
   *
   * @example
   * await shm.close();
   */
  close(): Promise<void> {
    return this.#life.shutdown(undefined);
  }

  [Symbol.dispose](): void {
    void this.close();
  }

  /** The live mapping, or the coded error for a closed / detached object. */
  #live(): Mapped {
    this.#life.assertOpen();
    if (this.#mapped === undefined) throw detachedError(this.#hooks.what);
    return this.#mapped;
  }

  async #waitForChange(offset: number, last: number, signal: AbortSignal | undefined, deadline: number | undefined): Promise<number> {
    const what = this.#hooks.what;
    for (;;) {
      if (this.#life.closed) throw closedError(what);
      const m = this.#mapped;
      if (m === undefined) throw detachedError(what);
      const now = native.mappingLoad32(m.handle, offset);
      if (now !== last && (now & 1) === 0) return now;
      if (signal?.aborted) throw abortError(signal);
      const left = deadline === undefined ? undefined : deadline - performance.now();
      if (left !== undefined && left <= 0) throw systemError(errnos.ETIMEDOUT, 'futex');
      // Waits while the word is `now` (the old value, or odd mid-write): the writer's wake
      // follows its final store, so no change is missed.
      const task = new PendingTask(() => native.futexWait(m.handle, offset, now), { signal, timeout: left });
      const untrack = this.#life.track({ cancel: () => task.cancel('close') });
      const r = await task.result.finally(untrack);
      if (r.errno === 0 || r.errno === EAGAIN) continue;
      if (r.errno !== errnos.ECANCELED) throw systemError(r.errno, 'futex');
      if (r.reason === 'abort') throw abortError(signal);
      if (r.reason === 'timeout') throw systemError(errnos.ETIMEDOUT, 'futex');
      if (r.reason === 'close') throw closedError(what);
      throw detachedError(what);
    }
  }
}
