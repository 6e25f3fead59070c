import { closeSync } from 'node:fs';
import { Socket } from 'node:net';

import { native } from '@rxipc/native';

import { closedError, invalidArgValueRange } from '../errors.js';
import { validateInteger, validateOptions } from '../validate.js';
import { MessageSocket, validateMessageSocketOptions, type Credentials, type MessageSocketOptions } from './message-socket.js';

const C = native.constants;

export type SocketType = 'stream' | 'dgram' | 'seqpacket';

/**
 * A SOCK_STREAM unix socket end as a Node Duplex: a `net.Socket` over the fd (libuv's own
 * pipe handle, the way Node wraps child stdio), so it reads and writes like any Node socket.
 * Reading starts when the consumer first reads, and the fd stays blocking until this process
 * first uses it, so an end handed to a C child behaves as the child expects.
 *
 * @example
 * const [a, b] = socketPair({ type: 'stream' });
 * b.pipe(process.stdout);
 * a.end('bytes, in any chunking\n');
 */
export class StreamSocket extends Socket {
  /** The file descriptor (for `spawn`'s `stdio`). */
  readonly fd: number;
  readonly type = 'stream' as const;
  #armed = false;

  /** @internal use socketPair() or socketFromFd(). */
  constructor(fd: number, options?: { highWaterMark?: number }) {
    validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
    const opts = validateOptions<{ highWaterMark?: number }>(options);
    const hwm = opts.highWaterMark === undefined ? undefined : validateInteger(opts.highWaterMark, 'options.highWaterMark', 1, 2 ** 30);
    super({
      fd,
      readable: true,
      writable: true,
      manualStart: true,
      allowHalfOpen: false,
      ...(hwm !== undefined ? { readableHighWaterMark: hwm } : {}),
    } as ConstructorParameters<typeof Socket>[0]);
    this.fd = fd;
    // libuv made the fd non-blocking; a child sharing the open file would read EAGAIN.
    native.setNonBlocking(fd, false);
  }

  #arm(): void {
    if (this.#armed) return;
    this.#armed = true;
    native.setNonBlocking(this.fd, true);
  }

  override _read(size: number): void {
    this.#arm();
    super._read(size);
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.#arm();
    super._write(chunk, encoding, cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer | string; encoding: BufferEncoding }>, cb: (error?: Error | null) => void): void {
    this.#arm();
    (Socket.prototype as unknown as { _writev: (c: unknown, cb: unknown) => void })._writev.call(this, chunks, cb);
  }

  override _final(cb: (error?: Error | null) => void): void {
    this.#arm();
    (Socket.prototype as unknown as { _final: (cb: unknown) => void })._final.call(this, cb);
  }

  /**
   * SO_PEERCRED: the peer's pid, uid and gid when the pair or connection was made.
   *
   * @example
   * const { pid } = socket.peerCredentials();
   */
  peerCredentials(): Credentials {
    if (this.destroyed) throw closedError('socket');
    return native.getPeerCred(this.fd);
  }

  close(): void {
    this.destroy();
  }

  [Symbol.dispose](): void {
    this.destroy();
  }
}

export type AnySocket = StreamSocket | MessageSocket;

export interface SocketPairOptions extends MessageSocketOptions {
  /** 'stream' (bytes, a net.Socket), 'dgram' or 'seqpacket' (object mode, boundaries kept). Default 'stream'. */
  type?: SocketType;
}

/** Two connected ends; `[Symbol.dispose]` destroys both. */
export type SocketPair<S> = [S, S] & { [Symbol.dispose](): void };

const TYPES: Record<SocketType, number> = { stream: C.SOCK_STREAM, dgram: C.SOCK_DGRAM, seqpacket: C.SOCK_SEQPACKET };

function validateType(value: unknown): SocketType {
  if (value === undefined) return 'stream';
  if (value === 'stream' || value === 'dgram' || value === 'seqpacket') return value;
  throw invalidArgValueRange('options.type', "must be one of 'stream', 'dgram', 'seqpacket'", value);
}

/**
 * socketpair(2): two connected unix sockets as Duplex streams. A 'stream' pair carries
 * bytes (net.Socket); 'dgram' and 'seqpacket' pairs are object-mode {@link MessageSocket}s
 * whose every write arrives as exactly one message (0 bytes too), and which pass file
 * descriptors. Hand an end to a child with `spawn(cmd, args, { stdio: [..., b.fd] })`, then
 * `b.destroy()` here; the child opens it with {@link socketFromFd}.
 *
 * @example
 * const [parent, child] = socketPair({ type: 'seqpacket' });
 * parent.on('data', (msg) => console.log(msg.data.toString()));
 * child.write('one message');
 */
export function socketPair(options: SocketPairOptions & { type: 'dgram' | 'seqpacket' }): SocketPair<MessageSocket>;
export function socketPair(options?: SocketPairOptions & { type?: 'stream' }): SocketPair<StreamSocket>;
export function socketPair(options?: SocketPairOptions): SocketPair<AnySocket>;
export function socketPair(options?: SocketPairOptions): SocketPair<AnySocket> {
  const opts = validateOptions<SocketPairOptions>(options);
  const type = validateType(opts.type);
  const { type: _t, ...rest } = opts;
  const streamOpts = type === 'stream' ? validateOptions<{ highWaterMark?: number }>(rest.highWaterMark === undefined ? {} : { highWaterMark: rest.highWaterMark }) : undefined;
  const messageOpts = type === 'stream' ? undefined : validateMessageSocketOptions(rest);
  const [a, b] = native.socketpair(TYPES[type], C.SOCK_CLOEXEC);
  let ends: AnySocket[] = [];
  try {
    ends = [wrap(a, type, streamOpts ?? messageOpts)];
    ends.push(wrap(b, type, streamOpts ?? messageOpts));
  } catch (err) {
    for (const e of ends) e.destroy();
    for (const fd of [a, b].slice(ends.length)) closeQuietly(fd);
    throw err;
  }
  const pair = ends as SocketPair<AnySocket>;
  Object.defineProperty(pair, Symbol.dispose, {
    value() {
      for (const e of ends) e.destroy();
    },
  });
  return pair;
}

function wrap(fd: number, type: SocketType, options: MessageSocketOptions | undefined): AnySocket {
  return type === 'stream' ? new StreamSocket(fd, options) : new MessageSocket(fd, type, options);
}

/**
 * Opens an inherited unix socket fd (fd 3 from the parent's `stdio`, or one received with
 * SCM_RIGHTS) as the right kind of stream, read from the fd with SO_TYPE: a
 * {@link StreamSocket} for SOCK_STREAM, a {@link MessageSocket} for SOCK_DGRAM and
 * SOCK_SEQPACKET. An fd that is not a unix socket is a system error (ENOTSOCK,
 * EAFNOSUPPORT). The stream owns the fd from now on.
 *
 * @example
 * // child.mjs, spawned with stdio: ['inherit', 'inherit', 'inherit', end.fd]
 * const socket = socketFromFd(3);
 * socket.on('data', (msg) => console.log(msg.data.toString()));
 */
export function socketFromFd(fd: number, options?: MessageSocketOptions): AnySocket {
  validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
  const opts = validateMessageSocketOptions(options);
  const t = native.getSocketType(fd);
  if (t === C.SOCK_STREAM) return new StreamSocket(fd, opts.highWaterMark !== undefined ? { highWaterMark: opts.highWaterMark } : undefined);
  if (t === C.SOCK_DGRAM) return new MessageSocket(fd, 'dgram', opts);
  if (t === C.SOCK_SEQPACKET) return new MessageSocket(fd, 'seqpacket', opts);
  throw invalidArgValueRange('fd', 'must be a SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET socket', fd);
}

export interface DatagramSocketOptions extends MessageSocketOptions {
  /** Bind to this path or abstract name ('\0name') at once. */
  bind?: string;
  /** Connect to this address at once (default destination; receive only from it). */
  connect?: string;
}

/**
 * A unix datagram socket (SOCK_DGRAM): bind it to receive, connect it or give `to` to send.
 * Every message read carries its sender's address (`from`) and credentials.
 *
 * @example
 * const collector = createDatagramSocket({ bind: '\0my-log' });
 * collector.on('data', (msg) => console.log(msg.credentials?.pid, msg.data.toString()));
 * await createDatagramSocket().send('hello', { to: '\0my-log' });
 */
export function createDatagramSocket(options?: DatagramSocketOptions): MessageSocket {
  const opts = validateOptions<DatagramSocketOptions>(options);
  const { bind, connect, ...rest } = opts;
  const mopts = validateMessageSocketOptions(rest);
  const fd = native.socket(C.SOCK_DGRAM, C.SOCK_CLOEXEC);
  const socket = new MessageSocket(fd, 'dgram', mopts);
  try {
    if (bind !== undefined) socket.bind(bind);
    if (connect !== undefined) socket.connect(connect);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return socket;
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}
