import { closeSync, unlinkSync } from 'node:fs';
import { EventEmitter } from 'node:events';

import { native } from '@rxipc/native';

import { abortError, systemError } from '../errors.js';
import { validateAbortSignal, validateInteger, validateOptions, validateTimeout } from '../validate.js';
import { encodeAddress, withAddress } from './address.js';
import { MessageSocket, validateMessageSocketOptions, type MessageSocketOptions } from './message-socket.js';
import { closeQuietly } from './socket.js';

const C = native.constants;

export interface SeqpacketServerOptions extends MessageSocketOptions {
  /** listen(2)'s backlog (default 511, as Node's). */
  backlog?: number;
}

export interface SeqpacketServerEvents {
  connection: [socket: MessageSocket];
  error: [err: Error];
  close: [];
}

/**
 * A SOCK_SEQPACKET unix server: every accepted connection is a message-preserving
 * {@link MessageSocket}. Accepts from the event loop (uv_poll_t on the listening fd).
 * A path it bound is removed when it closes; a path already there (even a stale socket file)
 * is EADDRINUSE, never removed for you.
 *
 * @example
 * const server = listenSeqpacket('\0my-service');
 * server.on('connection', (conn) => conn.on('data', (msg) => conn.write(msg.data)));
 */
export class SeqpacketServer extends EventEmitter<SeqpacketServerEvents> {
  readonly fd: number;
  readonly address: string;
  #poll: number;
  #closed = false;
  #options: MessageSocketOptions;

  /** @internal use listenSeqpacket(). */
  constructor(fd: number, address: string, options: MessageSocketOptions) {
    super();
    this.fd = fd;
    this.address = address;
    this.#options = options;
    this.#poll = native.pollStart(fd, (status) => this.#accept(status));
    native.pollSet(this.#poll, C.UV_READABLE);
  }

  #accept(status: number): void {
    if (this.#closed) return;
    if (status < 0) {
      this.emit('error', systemError(-status, 'uv_poll'));
      return;
    }
    for (let i = 0; i < 64 && !this.#closed; i++) {
      let fd: number;
      try {
        fd = native.accept(this.fd);
      } catch (err) {
        // EMFILE and the like: report, keep listening (the connection stays queued).
        this.emit('error', err as Error);
        return;
      }
      if (fd < 0) return;
      let socket: MessageSocket;
      try {
        socket = new MessageSocket(fd, 'seqpacket', this.#options);
      } catch (err) {
        closeQuietly(fd);
        this.emit('error', err as Error);
        return;
      }
      this.emit('connection', socket);
    }
  }

  /** Lets the process exit while the server waits for connections. */
  unref(): this {
    if (!this.#closed) native.pollRef(this.#poll, false);
    return this;
  }

  ref(): this {
    if (!this.#closed) native.pollRef(this.#poll, true);
    return this;
  }

  /** Stops accepting (polling stops, then the fd closes) and removes the path it bound. Connections stay open. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    native.pollClose(this.#poll);
    closeQuietly(this.fd);
    if (!this.address.startsWith('\0')) {
      try {
        unlinkSync(this.address);
      } catch {
        /* removed by someone else */
      }
    }
    process.nextTick(() => this.emit('close'));
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Binds a SOCK_SEQPACKET socket to a path or abstract name ('\0name') and listens.
 * Synchronous: EADDRINUSE (the path exists, even as a stale socket file) is thrown.
 *
 * @example
 * const server = listenSeqpacket('/tmp/app.sock', { backlog: 64 });
 * server.on('connection', (conn) => console.log(conn.peerCredentials().pid));
 */
export function listenSeqpacket(address: string, options?: SeqpacketServerOptions): SeqpacketServer {
  const bytes = encodeAddress(address);
  const opts = validateOptions<SeqpacketServerOptions>(options);
  const { backlog, ...rest } = opts;
  const b = backlog === undefined ? 511 : validateInteger(backlog, 'options.backlog', 0, 65535);
  const mopts = validateMessageSocketOptions(rest);
  const fd = native.socket(C.SOCK_SEQPACKET, C.SOCK_CLOEXEC | C.SOCK_NONBLOCK);
  let bound = false;
  try {
    native.bind(fd, bytes);
    bound = true;
    native.listen(fd, b);
    return new SeqpacketServer(fd, address, mopts);
  } catch (err) {
    closeSync(fd);
    if (bound && !address.startsWith('\0')) {
      try {
        unlinkSync(address);
      } catch {
        /* gone */
      }
    }
    throw withAddress(err, address);
  }
}

export interface ConnectOptions extends MessageSocketOptions {
  signal?: AbortSignal;
  /** ms to keep retrying while the listener's backlog is full (EAGAIN). Default: no limit. */
  timeout?: number;
}

/**
 * Connects a SOCK_SEQPACKET socket to a listening address. Rejects with ECONNREFUSED
 * (nobody listens there) or ENOENT (no such path), `address` set; waits (on a timer, never
 * blocking) while the listener's backlog is full.
 *
 * @example
 * const conn = await connectSeqpacket('\0my-service');
 * conn.write('ping');
 */
export function connectSeqpacket(address: string, options?: ConnectOptions): Promise<MessageSocket> {
  let bytes: Buffer;
  let signal: AbortSignal | undefined;
  let timeout: number | undefined;
  let mopts: MessageSocketOptions;
  try {
    bytes = encodeAddress(address);
    const opts = validateOptions<ConnectOptions>(options);
    const { signal: s, timeout: t, ...rest } = opts;
    signal = validateAbortSignal(s, 'options.signal');
    timeout = validateTimeout(t, 'options.timeout');
    mopts = validateMessageSocketOptions(rest);
  } catch (err) {
    return Promise.reject(err);
  }
  if (signal?.aborted) return Promise.reject(abortError(signal));
  let fd: number;
  try {
    fd = native.socket(C.SOCK_SEQPACKET, C.SOCK_CLOEXEC | C.SOCK_NONBLOCK);
  } catch (err) {
    return Promise.reject(err);
  }
  const started = Date.now();
  return new Promise<MessageSocket>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let delay = 1;
    const onAbort = (): void => finish(abortError(signal));
    const finish = (err: Error | undefined): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        closeQuietly(fd);
        reject(err);
        return;
      }
      try {
        native.setNonBlocking(fd, false); // blocking for a child; every call here is MSG_DONTWAIT
        resolve(new MessageSocket(fd, 'seqpacket', mopts));
      } catch (e) {
        closeQuietly(fd);
        reject(e as Error);
      }
    };
    const attempt = (): void => {
      timer = undefined;
      let connected: boolean;
      try {
        connected = native.connect(fd, bytes);
      } catch (err) {
        finish(withAddress(err as Error, address));
        return;
      }
      if (connected) {
        finish(undefined);
        return;
      }
      if (timeout !== undefined && Date.now() - started >= timeout) {
        finish(withAddress(systemError(11, 'connect', address), address));
        return;
      }
      delay = Math.min(delay * 2, 32);
      timer = setTimeout(attempt, delay);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    attempt();
  });
}
