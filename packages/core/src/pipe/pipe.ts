import { closeSync, readFileSync, readSync } from 'node:fs';
import { Socket } from 'node:net';

import { native } from '@rxipc/native';

import { invalidArgType, outOfRange } from '../errors.js';
import { validateBoolean, validateInteger, validateOptions } from '../validate.js';
import { ReadCursor, readerStarted, readerStopped } from './read-slabs.js';

const { O_CLOEXEC, O_DIRECT, O_ACCMODE, O_RDONLY, O_WRONLY, PIPE_BUF } = native.constants;
const EMPTY = Buffer.alloc(0);

/** The kernel's atomic pipe write size (4096 on Linux): the largest packet in packet mode. */
export const PIPE_BUF_SIZE: number = PIPE_BUF;

export interface FdStreamOptions {
  /**
   * Packet mode (a pipe opened with O_DIRECT): the readable is in object mode and every
   * write of at most PIPE_BUF bytes arrives as exactly one chunk. A larger write is split
   * into PIPE_BUF-byte packets. An empty write produces no packet.
   */
  packet?: boolean;
  /** Readable side: how many bytes (or packets) to buffer before pausing the kernel reads. */
  highWaterMark?: number;
}

// libuv makes an fd non-blocking when it wraps it (uv_pipe_open), and O_NONBLOCK belongs to
// the open file description, which a child given the fd through `spawn`'s stdio shares: a
// plain C child would then read EAGAIN. So a wrapped fd is put back to blocking at once, and
// made non-blocking again only when this process first reads or writes through it. libuv
// touches the fd only to read, write, close or shut it down (end() without a write: shutdown(2)
// fails at once with ENOTSOCK on a pipe), so it never waits on it blocking.
function parkBlocking(fd: number): void {
  native.setNonBlocking(fd, false);
}

/**
 * The read end of a pipe or FIFO as a Node stream, driven by the event loop through a libuv
 * pipe handle (the way Node wraps child stdio), never by thread-pool reads. Reading starts
 * when the consumer first reads, so an end handed to a child is never read by the parent,
 * and stays a blocking fd for the child until then.
 *
 * **Chunks and memory.** Each read asks for up to 64 KiB. A chunk is never written again
 * once emitted, whatever is read after it. A chunk of 16 KiB or more is a view of a 256 KiB
 * read slab (`chunk.buffer` is the slab; `chunk.byteOffset` says where), shared with the
 * chunks read before and after it: holding one keeps that slab, and no more, alive. Shorter
 * chunks are copies (from Node's Buffer pool below 4 KiB) and keep no slab alive. Once no view
 * of a slab is left, its memory is reused for the next reads instead of being returned to the
 * OS: up to 64 MiB per thread while any reader is open, returned within 2 s after reads stop
 * and when the last reader closes. Like any pooled Buffer, a slab's `buffer` is copied,
 * not moved, by a transfer list, and holds old bytes of this process outside the chunk.
 *
 * @example
 * const { readable, writable } = createPipe();
 * readable.on('data', (chunk) => console.log(chunk.toString()));
 * writable.end('hello');
 */
export class PipeReadable extends Socket {
  /** The file descriptor, for handing this end to a child process (`spawn`'s `stdio`). */
  readonly fd: number;
  /** Whether this end is in packet mode (object mode, one chunk per packet). */
  readonly packet: boolean;

  /** @internal use createPipe(), readableFromFd() or Fifo.openReadable(). */
  constructor(fd: number, options?: FdStreamOptions) {
    validateFd(fd);
    const opts = validateFdStreamOptions(options);
    const packet = opts.packet ?? false;
    const cursor = new ReadCursor();
    super({
      fd,
      readable: true,
      writable: false,
      manualStart: true,
      allowHalfOpen: false,
      // libuv reads into the cursor's window, not into a fresh 64 KiB buffer per read (see
      // read-slabs.ts); a false return stops the reads until the consumer wants more.
      onread: {
        buffer: () => cursor.window,
        callback(this: PipeReadable, n: number): boolean {
          return this.push(cursor.take(n));
        },
      },
      ...(opts.highWaterMark !== undefined ? { readableHighWaterMark: opts.highWaterMark } : {}),
    } as ConstructorParameters<typeof Socket>[0]);
    if (packet) {
      // net.Socket rejects readableObjectMode in its options, so the readable side switches
      // here, before anything was read (manualStart): one chunk per packet, and the
      // highWaterMark counts packets (16 by default, as for any object-mode stream).
      const state = (this as unknown as { _readableState: { objectMode: boolean; highWaterMark: number } })._readableState;
      state.objectMode = true;
      state.highWaterMark = opts.highWaterMark ?? 16;
    }
    this.fd = fd;
    this.packet = packet;
    parkBlocking(fd);
  }

  #armed = false;
  /** Counted among the readers that keep slab memory for reuse (read-slabs.ts). */
  #counted = false;

  override _read(size: number): void {
    if (!this.#armed) {
      this.#armed = true;
      native.setNonBlocking(this.fd, true);
      if (!this.destroyed) {
        this.#counted = true;
        readerStarted();
      }
    }
    super._read(size);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#counted) {
      this.#counted = false;
      readerStopped();
    }
    super._destroy(err, callback);
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null && this.packet) this.#drainPackets();
    return super.push(chunk, encoding);
  }

  /**
   * libuv takes a short read after the last writer hung up (POLLHUP) for end-of-stream: right
   * for a byte pipe, where a short read emptied it, wrong for a packet pipe, where every read
   * returns one packet and more may be queued. Those packets are read here, before the end.
   * Main thread, reading already stopped; with no writer left a non-blocking read cannot wait
   * (EAGAIN, should a FIFO writer reappear, just ends the drain).
   */
  #drainPackets(): void {
    if (this.destroyed) return;
    const buf = Buffer.allocUnsafe(65536);
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, buf, 0, buf.length, null);
      } catch {
        return;
      }
      if (n <= 0) return;
      super.push(Buffer.from(buf.subarray(0, n)));
    }
  }

  /** Closes the fd; pending reads end. Same as `destroy()`. */
  close(): void {
    this.destroy();
  }

  [Symbol.dispose](): void {
    this.destroy();
  }
}

/**
 * The write end of a pipe or FIFO as a Node stream (libuv pipe handle). Writing after the
 * reader is gone fails with an EPIPE error on the stream; the process is never killed by
 * SIGPIPE (Node ignores it).
 *
 * @example
 * const { writable } = createPipe();
 * writable.write(Buffer.from('data'));
 */
export class PipeWritable extends Socket {
  readonly fd: number;
  readonly packet: boolean;

  /** @internal use createPipe(), writableFromFd() or Fifo.openWritable(). */
  constructor(fd: number, options?: FdStreamOptions) {
    validateFd(fd);
    const packet = validateFdStreamOptions(options).packet ?? false;
    super({ fd, readable: false, writable: true, allowHalfOpen: false } as ConstructorParameters<typeof Socket>[0]);
    this.fd = fd;
    this.packet = packet;
    parkBlocking(fd);
    if (packet) {
      // writev would merge several writes into one packet: one write(2) per chunk instead.
      (this as unknown as { _writev: null })._writev = null;
    }
  }

  #armed = false;

  /**
   * Node's Writable cannot make a Buffer over a detached ArrayBuffer and throws an uncoded
   * TypeError; a Uint8Array of length 0 (which a detached one is) writes nothing either way.
   */
  override write(buffer: Uint8Array | string, cb?: (err?: Error | null) => void): boolean;
  override write(str: Uint8Array | string, encoding?: BufferEncoding, cb?: (err?: Error | null) => void): boolean;
  override write(chunk: unknown, ...rest: unknown[]): boolean {
    // Node formats a bad encoding argument into its message itself, which fails uncoded on
    // a detached view: say what it must be first.
    const enc = rest[0];
    if (enc !== undefined && enc !== null && typeof enc !== 'string' && typeof enc !== 'function') {
      throw invalidArgType('encoding', 'of type string', enc);
    }
    const c = chunk instanceof Uint8Array && chunk.byteLength === 0 ? EMPTY : chunk;
    return (Socket.prototype.write as (...a: unknown[]) => boolean).call(this, c, ...rest);
  }

  #arm(): void {
    if (this.#armed) return;
    this.#armed = true;
    native.setNonBlocking(this.fd, true);
  }

  override _writev(chunks: Array<{ chunk: Buffer | string; encoding: BufferEncoding }>, callback: (error?: Error | null) => void): void {
    this.#arm();
    (Socket.prototype as unknown as { _writev: (c: unknown, cb: unknown) => void })._writev.call(this, chunks, callback);
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#arm();
    if (!this.packet) {
      super._write(chunk as Buffer, encoding, callback);
      return;
    }
    // Strings arrive undecoded (decodeStrings: false): their byte length decides the split.
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    if (buf.length <= PIPE_BUF) {
      super._write(buf, 'buffer' as BufferEncoding, callback);
      return;
    }
    let offset = 0;
    const next = (err?: Error | null): void => {
      if (err || offset >= buf.length) {
        callback(err);
        return;
      }
      const piece = buf.subarray(offset, offset + PIPE_BUF);
      offset += piece.length;
      super._write(piece, 'buffer' as BufferEncoding, next); // 'buffer': a Buffer, not a string to encode
    };
    next();
  }

  close(): void {
    this.destroy();
  }

  [Symbol.dispose](): void {
    this.destroy();
  }
}

export interface PipeOptions extends FdStreamOptions {
  /** Pipe capacity in bytes (F_SETPIPE_SZ), at most /proc/sys/fs/pipe-max-size. */
  capacity?: number;
}

export interface Pipe {
  readable: PipeReadable;
  writable: PipeWritable;
  /** Destroys both ends. */
  [Symbol.dispose](): void;
}

/**
 * Creates an anonymous pipe (pipe2 with O_CLOEXEC) and returns both ends as streams.
 * Hand an end to a child with `spawn(cmd, args, { stdio: [..., readable.fd] })`, then
 * `readable.destroy()` in the parent; the child opens it with {@link readableFromFd}.
 *
 * @example
 * const { readable, writable } = createPipe({ packet: true });
 * readable.on('data', (packet) => console.log('one packet:', packet.length));
 * writable.write(Buffer.alloc(100));
 */
export function createPipe(options?: PipeOptions): Pipe {
  const opts = validateOptions<PipeOptions>(options);
  const packet = opts.packet === undefined ? false : validateBoolean(opts.packet, 'options.packet');
  const highWaterMark =
    opts.highWaterMark === undefined ? undefined : validateInteger(opts.highWaterMark, 'options.highWaterMark', 0, 2 ** 31 - 1);
  const capacity = opts.capacity === undefined ? undefined : validatePipeCapacity(opts.capacity, 'options.capacity');
  const [r, w] = native.pipe2(O_CLOEXEC | (packet ? O_DIRECT : 0));
  try {
    if (capacity !== undefined) native.setPipeSize(w, capacity);
  } catch (err) {
    closeQuietly(r);
    closeQuietly(w);
    throw err;
  }
  const readable = new PipeReadable(r, { packet, ...(highWaterMark !== undefined ? { highWaterMark } : {}) });
  const writable = new PipeWritable(w, { packet });
  return {
    readable,
    writable,
    [Symbol.dispose]() {
      readable.destroy();
      writable.destroy();
    },
  };
}

/**
 * /proc/sys/fs/pipe-max-size: the largest capacity an unprivileged process may set.
 *
 * @example
 * setPipeCapacity(writable, pipeMaxSize());
 */
export function pipeMaxSize(): number {
  return Number.parseInt(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8'), 10);
}

function validatePipeCapacity(value: unknown, name: string): number {
  const max = pipeMaxSize();
  validateInteger(value, name, 1, 2 ** 31 - 1);
  if ((value as number) > max) throw outOfRange(name, `<= ${max} (/proc/sys/fs/pipe-max-size)`, value);
  return value as number;
}

function validateFd(fd: unknown, name = 'fd'): number {
  return validateInteger(fd, name, 0, 2 ** 31 - 1);
}

function fdOf(end: number | { fd: number }): number {
  const fd = typeof end === 'number' ? end : end?.fd;
  return validateFd(fd);
}

/**
 * The capacity of a pipe or FIFO in bytes (F_GETPIPE_SZ).
 *
 * @example
 * const { writable } = createPipe();
 * getPipeCapacity(writable); // 65536
 */
export function getPipeCapacity(end: number | { fd: number }): number {
  return native.getPipeSize(fdOf(end));
}

/**
 * Sets the capacity of a pipe or FIFO (F_SETPIPE_SZ); returns the size the kernel chose
 * (a power-of-two number of pages). Above /proc/sys/fs/pipe-max-size is a RangeError.
 *
 * @example
 * setPipeCapacity(writable, 1 << 20);
 */
export function setPipeCapacity(end: number | { fd: number }, size: number): number {
  const fd = fdOf(end);
  return native.setPipeSize(fd, validatePipeCapacity(size, 'size'));
}

/**
 * Opens an inherited pipe or FIFO fd (for example fd 3 from the parent's `stdio` array)
 * as a readable stream: the child's side of {@link createPipe}, in one call. Linux marks
 * only a packet pipe's write end with O_DIRECT, so the read end of a packet pipe needs
 * `{ packet: true }`.
 *
 * @example
 * // child.js, spawned with stdio: ['inherit', 'inherit', 'inherit', pipe.readable.fd]
 * readableFromFd(3).pipe(process.stdout);
 */
export function readableFromFd(fd: number, options?: FdStreamOptions): PipeReadable {
  validateFd(fd);
  const opts = validateFdStreamOptions(options);
  const flags = native.getFileFlags(fd);
  if ((flags & O_ACCMODE) === O_WRONLY) throw outOfRange('fd', 'a file descriptor open for reading', fd);
  return new PipeReadable(fd, { ...opts, packet: opts.packet ?? false });
}

/**
 * Opens an inherited pipe or FIFO fd as a writable stream.
 *
 * @example
 * // child.js, spawned with stdio: ['inherit', 'inherit', 'inherit', pipe.writable.fd]
 * writableFromFd(3).end('result');
 */
export function writableFromFd(fd: number, options?: FdStreamOptions): PipeWritable {
  validateFd(fd);
  const opts = validateFdStreamOptions(options);
  const flags = native.getFileFlags(fd);
  if ((flags & O_ACCMODE) === O_RDONLY) throw outOfRange('fd', 'a file descriptor open for writing', fd);
  const packet = opts.packet ?? (flags & O_DIRECT) !== 0;
  return new PipeWritable(fd, { packet });
}

function validateFdStreamOptions(options: unknown): FdStreamOptions {
  const opts = validateOptions<FdStreamOptions>(options);
  const out: FdStreamOptions = {};
  if (opts.packet !== undefined) out.packet = validateBoolean(opts.packet, 'options.packet');
  if (opts.highWaterMark !== undefined) out.highWaterMark = validateInteger(opts.highWaterMark, 'options.highWaterMark', 0, 2 ** 31 - 1);
  return out;
}

/** @internal */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}
