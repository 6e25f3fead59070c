import { closeSync, unlinkSync } from 'node:fs';
import { Duplex } from 'node:stream';

import { native } from '@rxipc/native';

import { closedError, invalidArgType, invalidArgValueRange, outOfRange, streamDestroyed, systemError } from '../errors.js';
import { toBytes, validateInteger, validateObject, validateOptions, type Payload } from '../validate.js';
import { decodeAddress, encodeAddress, withAddress } from './address.js';

const C = native.constants;
const BATCH = 64;
const FIELDS = C.RECV_META_FIELDS;
/** Default largest message taken whole: above the kernel's default socket buffer (212992). */
export const DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024;

/** Credentials of a process, as SO_PEERCRED and SCM_CREDENTIALS give them. */
export interface Credentials {
  pid: number;
  uid: number;
  gid: number;
}

/**
 * One message received on a datagram or seqpacket socket.
 *
 * File descriptors that came with it (SCM_RIGHTS) belong to whoever calls {@link takeFds}.
 * Those not taken are closed: right after the message's `'data'` event (so take them in the
 * listener, or before the first `await` of a `for await` body), or when the socket is
 * destroyed with the message still unread. Received fds are close-on-exec.
 */
export class ReceivedMessage {
  /**
   * The bytes (at most the socket's `maxMessageSize`; see `truncated`): a view of one Buffer
   * shared by the messages of one receive batch (copy it to keep a small part of it long).
   */
  readonly data: Buffer;
  /** The sender's address: a path, '\0name' (abstract), or undefined for an unnamed sender. */
  readonly from: string | undefined;
  /** The sender's pid, uid and gid (SCM_CREDENTIALS), as the kernel vouches for them. */
  readonly credentials: Credentials | undefined;
  /** MSG_TRUNC: the message was longer than `maxMessageSize`; `size` is its real length. */
  readonly truncated: boolean;
  /** The message's real length in bytes. */
  readonly size: number;
  /** MSG_CTRUNC: some fds did not fit (the kernel closed them). */
  readonly fdsTruncated: boolean;
  #fds: number[];

  /** @internal built by MessageSocket from a recvmsg batch. */
  constructor(data: Buffer, flags: number, size: number, from: string | undefined, credentials: Credentials | undefined, fds: number[] | undefined) {
    this.data = data;
    this.truncated = (flags & C.MSG_TRUNC) !== 0;
    this.fdsTruncated = (flags & C.MSG_CTRUNC) !== 0;
    this.size = size;
    this.from = from;
    this.credentials = credentials;
    this.#fds = fds ?? [];
  }

  /** How many fds came with the message and are not taken yet. */
  get fdCount(): number {
    return this.#fds.length;
  }

  /**
   * Takes the fds that came with the message: the caller now owns (and must close, or wrap
   * with socketFromFd / readableFromFd / writableFromFd) them. A second call returns [].
   *
   * @example
   * socket.on('data', (msg) => { const [fd] = msg.takeFds(); readableFromFd(fd).pipe(process.stdout); });
   */
  takeFds(): number[] {
    const fds = this.#fds;
    this.#fds = [];
    return fds;
  }

  /** @internal closes the fds nobody took. */
  closeFds(): void {
    for (const fd of this.takeFds()) {
      try {
        closeSync(fd);
      } catch {
        /* closed by its taker already */
      }
    }
  }
}

/** What an object-mode write takes: bytes, or bytes with fds and (datagram) a destination. */
export interface OutgoingMessage {
  data: Payload;
  /** Descriptors to pass (SCM_RIGHTS), at most 253: numbers or objects with an `fd`. Keep them open until the write's callback. */
  fds?: ReadonlyArray<number | { fd: number }>;
  /** Datagram sockets: the destination address (a path or '\0name'); default: the connected peer. */
  to?: string;
}

export interface SendOptions {
  fds?: ReadonlyArray<number | { fd: number }>;
  to?: string;
}

export interface MessageSocketOptions {
  /** How many received messages to buffer before the socket stops taking them from the kernel (16). */
  highWaterMark?: number;
  /** The largest message received whole; a longer one arrives cut with `truncated: true` (256 KiB). */
  maxMessageSize?: number;
}

export type MessageSocketType = 'dgram' | 'seqpacket';

interface Pending {
  data: Uint8Array;
  fds: number[] | undefined;
  to: Buffer | undefined;
  toText: string | undefined;
  cb: (err?: Error | null) => void;
}

/**
 * A datagram or seqpacket unix socket as an object-mode Duplex: every chunk read is one
 * {@link ReceivedMessage}, every chunk written is one message (its boundary kept, 0 bytes
 * too). Driven by the event loop (a uv_poll_t on the fd), never by a thread.
 *
 * Backpressure both ways: when the readable buffer is full the socket stops taking messages
 * from the kernel (the kernel queue is the buffer, and the sender waits); when the kernel
 * says EAGAIN the write waits for writability — nothing is dropped, nothing is buffered
 * beyond the writable highWaterMark.
 *
 * A seqpacket socket ends (`'end'`) when its peer closes or shuts down; a datagram socket has
 * no end (a write after its connected peer closed fails with ECONNREFUSED).
 *
 * @example
 * const [a, b] = socketPair({ type: 'seqpacket' });
 * b.on('data', (msg) => console.log(msg.data.toString(), msg.credentials?.pid));
 * a.write('hello');
 * a.write({ data: 'a pipe for you', fds: [pipe.readable.fd] });
 */
export class MessageSocket extends Duplex {
  /** The socket's file descriptor (for `spawn`'s `stdio`). */
  readonly fd: number;
  readonly type: MessageSocketType;
  readonly maxMessageSize: number;
  #poll = 0;
  #events = 0;
  #reading = false;
  /** Messages waiting for the kernel, in order: the stream's one write in flight and send()s. */
  #queue: Pending[] = [];
  #retry: NodeJS.Timeout | undefined;
  #retryMs = 0;
  #unread = new Set<ReceivedMessage>();
  #unlinkOnClose: string | undefined;
  #refed = true;

  /** @internal use socketPair(), socketFromFd(), createDatagramSocket(), listenSeqpacket() or connectSeqpacket(). */
  constructor(fd: number, type: MessageSocketType, options?: MessageSocketOptions) {
    validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
    if (type !== 'dgram' && type !== 'seqpacket') throw invalidArgValueRange('type', "must be 'dgram' or 'seqpacket'", type);
    const opts = validateMessageSocketOptions(options);
    super({
      objectMode: true,
      allowHalfOpen: false,
      readableHighWaterMark: opts.highWaterMark ?? 16,
      writableHighWaterMark: 16,
    });
    this.fd = fd;
    this.type = type;
    this.maxMessageSize = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    // Every message then carries its sender's credentials, which also tells a 0-byte
    // message (credentials attached) from the peer's end (none).
    native.setPassCred(fd, true);
    // Owned by this environment from now on, polled or not: if it ends (a worker exits or is
    // terminated) with this socket never destroyed, the addon closes the fd (socket.cc).
    native.ownFd(fd);
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'data' && args[0] instanceof ReceivedMessage) {
      const msg = args[0];
      this.#unread.delete(msg);
      if (msg.fdCount > 0) setImmediate(() => msg.closeFds());
    }
    return super.emit(event, ...args);
  }

  #watch(events: number): void {
    if (this.destroyed || events === this.#events) return;
    if (this.#poll === 0) {
      if (events === 0) return;
      this.#poll = native.pollStart(this.fd, (status, ready) => this.#onPoll(status, ready));
      if (!this.#refed) native.pollRef(this.#poll, false);
    }
    this.#events = events;
    native.pollSet(this.#poll, events);
  }

  #onPoll(status: number, ready: number): void {
    if (this.destroyed) return;
    if (status < 0) {
      // libuv reports EPOLLERR as UV_EBADF and stops the poll: the socket's own error
      // (SO_ERROR, e.g. ECONNRESET when the peer died with messages unread) says what it was.
      const wanted = this.#events;
      this.#events = 0;
      let errno = 0;
      try {
        errno = native.getSocketError(this.fd);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      if (errno !== 0) {
        this.destroy(systemError(errno, this.#queue.length > 0 ? 'sendmsg' : 'recvmsg'));
        return;
      }
      this.#watch(wanted);
      ready = wanted;
    }
    if (ready & C.UV_WRITABLE) this.#flush();
    if (ready & (C.UV_READABLE | C.UV_DISCONNECT) && this.#reading) this.#receive();
  }

  override _read(): void {
    // Already reading with the poll armed for readability (level-triggered): the poll calls
    // back as soon as a message is queued, so a recvmsg now would only say EAGAIN (once per
    // message, as the stream asks for more after each push).
    if (this.#reading && this.#events & C.UV_READABLE) return;
    this.#reading = true;
    this.#receive();
  }

  /** Takes what the kernel has queued, until the consumer's buffer is full or nothing is left. */
  #receive(): void {
    while (this.#reading && !this.destroyed) {
      let batch;
      try {
        batch = native.recvmsg(this.fd, BATCH, this.maxMessageSize);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      const { data, meta, froms, fds } = batch;
      const count = meta.length / FIELDS;
      // One Buffer per batch; each message is a view of it. Equal credentials and addresses
      // in a run share one object / string.
      const fromText = froms.map((f) => decodeAddress(f));
      let cred: Credentials | undefined;
      for (let i = 0, m = 0; i < count; i++, m += FIELDS) {
        const pid = meta[m + 4]!;
        if (pid < 0) cred = undefined;
        else if (cred === undefined || cred.pid !== pid || cred.uid !== meta[m + 5] || cred.gid !== meta[m + 6]) {
          cred = Object.freeze({ pid, uid: meta[m + 5]!, gid: meta[m + 6]! });
        }
        const offset = meta[m]!;
        const fi = meta[m + 7]!;
        const di = meta[m + 8]!;
        const msg = new ReceivedMessage(
          data.subarray(offset, offset + meta[m + 1]!),
          meta[m + 2]!,
          meta[m + 3]!,
          fi < 0 ? undefined : fromText[fi],
          cred,
          di < 0 ? undefined : fds[di],
        );
        if (di >= 0) this.#unread.add(msg);
        if (!this.push(msg)) this.#reading = false;
      }
      if (batch.errno !== 0) {
        this.destroy(systemError(batch.errno, 'recvmsg'));
        return;
      }
      if (batch.eof) {
        if (this.type === 'seqpacket') {
          this.#reading = false;
          this.#watch(this.#events & ~C.UV_READABLE);
          this.push(null);
          return;
        }
        // A datagram socket has no end: an empty unnamed read is nothing.
      }
      if (count < BATCH) break;
    }
    this.#watch(this.#reading ? this.#events | C.UV_READABLE : this.#events & ~C.UV_READABLE);
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    let pending: Pending;
    try {
      pending = { ...toOutgoing(chunk, 'chunk'), cb };
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.#enqueue(pending);
  }

  #enqueue(p: Pending): void {
    this.#queue.push(p);
    if (this.#queue.length === 1 && this.#retry === undefined) this.#flush();
  }

  /**
   * Sends the queued messages in order until the kernel says EAGAIN; then waits for
   * writability (connected) or on a short timer (an unconnected destination).
   */
  #flush(): void {
    while (this.#queue.length > 0 && !this.destroyed) {
      const p = this.#queue[0]!;
      let sent: number;
      try {
        sent = native.sendmsg(this.fd, p.data, p.fds, p.to);
      } catch (err) {
        this.#queue.shift();
        this.#retryMs = 0;
        p.cb(withAddress(err as Error, p.toText));
        continue;
      }
      if (sent < 0) {
        if (p.to === undefined) {
          // Connected: the kernel wakes writability when the peer's queue has room.
          this.#watch(this.#events | C.UV_WRITABLE);
          return;
        }
        // Unconnected destination: poll(2) reports writability for the connected peer only,
        // so wait on a short, growing timer instead of spinning (1 ms doubling up to 32 ms).
        this.#watch(this.#events & ~C.UV_WRITABLE);
        this.#retryMs = Math.min(Math.max(this.#retryMs * 2, 1), 32);
        this.#retry = setTimeout(() => {
          this.#retry = undefined;
          if (!this.destroyed) this.#flush();
        }, this.#retryMs);
        if (!this.#refed) this.#retry.unref();
        return;
      }
      this.#queue.shift();
      this.#retryMs = 0;
      p.cb();
    }
    this.#watch(this.#events & ~C.UV_WRITABLE);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.type === 'seqpacket') {
      try {
        native.shutdown(this.fd, C.SHUT_WR);
      } catch (err) {
        // The peer is gone already (ENOTCONN): nothing left to tell it.
        if ((err as { code?: string }).code !== 'ENOTCONN') {
          cb(err as Error);
          return;
        }
      }
    }
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Stop polling before the fd is closed.
    if (this.#poll !== 0) native.pollClose(this.#poll);
    this.#poll = 0;
    if (this.#retry) clearTimeout(this.#retry);
    for (const msg of this.#unread) msg.closeFds();
    this.#unread.clear();
    const pending = this.#queue.splice(0);
    native.disownFd(this.fd);
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    if (this.#unlinkOnClose !== undefined) {
      try {
        unlinkSync(this.#unlinkOnClose);
      } catch {
        /* removed by someone else */
      }
    }
    for (const p of pending) p.cb(err ?? streamDestroyed('write'));
    cb(err);
  }

  /**
   * Sends one message; resolves when the kernel took it (after waiting for room, never
   * dropping). `to` sends a datagram to an address; `fds` passes descriptors.
   *
   * @example
   * const log = createDatagramSocket();
   * await log.send('started', { to: '/run/app/log.sock' });
   */
  send(data: Payload, options?: SendOptions): Promise<void> {
    let msg: OutgoingMessage;
    let out: Omit<Pending, 'cb'>;
    try {
      const opts = validateOptions<SendOptions>(options);
      toBytes(data, 'data');
      msg = { data, ...(opts.fds !== undefined ? { fds: opts.fds } : {}), ...(opts.to !== undefined ? { to: opts.to } : {}) };
      out = toOutgoing(msg, 'data');
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.destroyed) return Promise.reject(closedError('socket'));
    // Beside the stream, in the same queue as its writes: a failed send (ECONNREFUSED to one
    // address) rejects this promise and leaves the socket usable for other destinations.
    return new Promise((resolve, reject) => {
      this.#enqueue({ ...out, cb: (err) => (err ? reject(err) : resolve()) });
    });
  }

  /**
   * Binds to a path or an abstract name ('\0name'). A path already bound is EADDRINUSE,
   * even a stale one: removing it is the caller's choice (`unlink`). A path this socket bound
   * is removed when it closes.
   *
   * @example
   * const s = createDatagramSocket();
   * s.bind('/tmp/app.sock');
   */
  bind(address: string): this {
    const bytes = encodeAddress(address);
    if (this.destroyed) throw closedError('socket');
    try {
      native.bind(this.fd, bytes);
    } catch (err) {
      throw withAddress(err, address);
    }
    if (!address.startsWith('\0')) this.#unlinkOnClose = address;
    return this;
  }

  /**
   * Datagram sockets: sets the default destination and receives only from it. A path with
   * no socket is ECONNREFUSED or ENOENT (thrown: this call never waits).
   *
   * @example
   * createDatagramSocket().connect('\0my-collector').write('hello');
   */
  connect(address: string): this {
    const bytes = encodeAddress(address);
    if (this.destroyed) throw closedError('socket');
    if (this.type !== 'dgram') throw invalidArgType('this', 'a datagram socket (use connectSeqpacket)', this.type);
    try {
      native.connect(this.fd, bytes);
    } catch (err) {
      throw withAddress(err, address);
    }
    return this;
  }

  /** @internal a path bound by listenSeqpacket. */
  unlinkOnClose(path: string | undefined): void {
    this.#unlinkOnClose = path;
  }

  /**
   * This socket's own address (getsockname): a path, '\0name', or undefined when unnamed.
   *
   * @example
   * socket.address(); // '/tmp/app.sock'
   */
  address(): string | undefined {
    if (this.destroyed) throw closedError('socket');
    return decodeAddress(native.getsockname(this.fd));
  }

  /**
   * The connected peer's address (getpeername), or undefined when it has none.
   *
   * @example
   * socket.remoteAddress();
   */
  remoteAddress(): string | undefined {
    if (this.destroyed) throw closedError('socket');
    return decodeAddress(native.getpeername(this.fd));
  }

  /**
   * SO_PEERCRED: the pid, uid and gid of the peer as it was when the connection (or the
   * socket pair) was made.
   *
   * @example
   * const { pid } = socket.peerCredentials();
   */
  peerCredentials(): Credentials {
    if (this.destroyed) throw closedError('socket');
    return native.getPeerCred(this.fd);
  }

  /**
   * Lets the process exit while this socket waits (like net.Socket#unref).
   *
   * @example
   * createDatagramSocket({ bind: '\0status' }).unref(); // serves while the program runs, never keeps it alive
   */
  unref(): this {
    this.#refed = false;
    if (this.#poll !== 0) native.pollRef(this.#poll, false);
    this.#retry?.unref();
    return this;
  }

  /**
   * Undoes unref(): the socket keeps the process alive while it waits.
   *
   * @example
   * socket.unref(); socket.ref();
   */
  ref(): this {
    this.#refed = true;
    if (this.#poll !== 0) native.pollRef(this.#poll, true);
    this.#retry?.ref();
    return this;
  }

  /**
   * Closes the socket: polling stops, then the fd is closed (and a path it bound removed).
   * Same as `destroy()`; unread fds that came with messages are closed too.
   *
   * @example
   * using socket = createDatagramSocket(); // or: socket.close() when done
   */
  close(): void {
    this.destroy();
  }

  [Symbol.dispose](): void {
    this.destroy();
  }
}

function fdNumber(value: unknown): number {
  const fd = typeof value === 'number' ? value : (value as { fd?: unknown } | null)?.fd;
  if (typeof fd !== 'number') throw invalidArgType('fds', 'an array of file descriptors (numbers or objects with an fd)', value);
  return validateInteger(fd, 'fds', 0, 2 ** 31 - 1);
}

/** A chunk written to a MessageSocket, checked and made ready for sendmsg. */
function toOutgoing(chunk: unknown, name: string): Omit<Pending, 'cb'> {
  if (chunk instanceof Uint8Array || typeof chunk === 'string') return { data: toBytes(chunk, name), fds: undefined, to: undefined, toText: undefined };
  const msg = validateObject<OutgoingMessage>(chunk, name);
  const data = toBytes(msg.data, `${name}.data`);
  let fds: number[] | undefined;
  if (msg.fds !== undefined) {
    if (!Array.isArray(msg.fds)) throw invalidArgType(`${name}.fds`, 'an array of file descriptors', msg.fds);
    if (msg.fds.length > C.SCM_MAX_FD) throw outOfRange(`${name}.fds`, `at most ${C.SCM_MAX_FD} descriptors`, msg.fds.length);
    fds = msg.fds.map(fdNumber);
    if (fds.length === 0) fds = undefined;
  }
  const to = msg.to === undefined ? undefined : encodeAddress(msg.to, `${name}.to`);
  return { data, fds, to, toText: msg.to };
}

export function validateMessageSocketOptions(options: unknown): MessageSocketOptions {
  const opts = validateOptions<MessageSocketOptions>(options);
  const out: MessageSocketOptions = {};
  if (opts.highWaterMark !== undefined) out.highWaterMark = validateInteger(opts.highWaterMark, 'options.highWaterMark', 1, 2 ** 20);
  if (opts.maxMessageSize !== undefined) out.maxMessageSize = validateInteger(opts.maxMessageSize, 'options.maxMessageSize', 0, 64 * 1024 * 1024);
  return out;
}
