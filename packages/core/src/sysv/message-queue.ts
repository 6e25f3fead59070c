import { EventEmitter } from 'node:events';

import { native, type IpcPerm, type MsgInfo, type MsqidDs } from '@rxipc/native';
import type TypedEmitterModule from 'typed-emitter';

import { abortError, closedError, errnos, invalidArgValue, outOfRange, systemError, type SystemError } from '../errors.js';
import { MessageReadStream, MessageWriteStream, type MessageReadStreamOptions, type MessageWriteStreamOptions } from '../streams/message-streams.js';
import {
  MAX_SAFE_INTEGER,
  toBytes,
  validateAbortSignal,
  validateBoolean,
  validateInteger,
  validateMode,
  validateOptions,
  validateTimeout,
  type Payload,
} from '../validate.js';
import { PendingTask } from '../wait.js';
import { packRecords, type Message } from './records.js';
import { Receiver, type ReceiverSink } from './receiver.js';

const { IPC_CREAT, IPC_EXCL, IPC_INFO, MSG_INFO, MSG_EXCEPT, MSG_NOERROR } = native.constants;

export type { Message };

export interface MessageQueueOpenOptions {
  /** IPC_CREAT: create the queue if it does not exist (default false). */
  create?: boolean;
  /** IPC_EXCL: with `create`, fail with EEXIST if it exists (default false). */
  exclusive?: boolean;
  /** Permission bits for a new queue. Default 0o600: never world-writable unless asked. */
  mode?: number;
}

export interface SendOptions {
  signal?: AbortSignal;
  timeout?: number;
}

export interface ReceiveSelector {
  /**
   * Which messages (msgrcv's msgtyp): 0 (default) the first of any type; > 0 the first of
   * exactly this type; < 0 the first of the lowest type <= |type|.
   */
  type?: number;
  /** MSG_EXCEPT: with a type > 0, the first message of any other type. */
  except?: boolean;
  /** MSG_NOERROR: cut a message longer than `maxSize` instead of failing with E2BIG. */
  truncate?: boolean;
  /** The largest payload accepted, in bytes. Default: the kernel's msgmax, read at run time. */
  maxSize?: number;
}

export interface ReceiveOptions extends ReceiveSelector {
  signal?: AbortSignal;
  timeout?: number;
}

/** msqid_ds, as msgctl(IPC_STAT) reports it (times in seconds since the epoch, 0 = never). */
export type MessageQueueStat = MsqidDs;
export type { IpcPerm };

/** The kernel's message queue limits (IPC_INFO): msgmax, msgmnb, msgmni, ... */
export type MessageQueueLimits = MsgInfo;

export interface MessageQueueSetOptions {
  mode?: number;
  uid?: number;
  gid?: number;
  /** msg_qbytes: the most bytes the queue holds. Raising it above msgmnb needs CAP_SYS_RESOURCE. */
  maxBytes?: number;
}

export type MessageQueueEvents = {
  /** close() was called. */
  close: () => void;
  /** The queue was removed (by this object's remove(), or found removed by anyone). */
  removed: () => void;
};

interface QueuedSend {
  type: number;
  data: Uint8Array;
  signal: AbortSignal | undefined;
  timeout: number | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
  onAbort?: () => void;
  /** While queued behind others: when the timeout expires (performance.now()), and its timer. */
  deadline?: number;
  timer?: NodeJS.Timeout;
}

/** Something of this object's that waits: close() cancels it; remove() hands it the EIDRM error. */
interface Cancellable {
  cancel(removed?: SystemError): void;
}

/**
 * A System V message queue. Sends try IPC_NOWAIT synchronously first and wait on a waiter
 * thread only when the queue is full; receives likewise. Waiting never blocks the event
 * loop or the libuv thread pool, and every wait can be cancelled (AbortSignal, timeout,
 * close()) within milliseconds without losing a message.
 *
 * @example
 * const q = MessageQueue.open(IPC_PRIVATE, { create: true });
 * await q.send(1, 'hello');
 * const m = await q.receive({ type: 1 }); // { type: 1, data: <Buffer 68 65 6c 6c 6f> }
 * q.remove();
 */
export class MessageQueue extends (EventEmitter as new () => TypedEmitterModule.default<MessageQueueEvents>) {
  /** The queue id (msqid). */
  readonly id: number;
  /** The key it was opened with (IPC_PRIVATE = 0), undefined for {@link MessageQueue.fromId}. */
  readonly key: number | undefined;
  /** The kernel's msgmax when the queue was opened: the largest payload, and the default maxSize. */
  readonly maxMessageSize: number;

  #closed = false;
  #removed = false;
  readonly #sends: QueuedSend[] = [];
  #pumping = false;
  readonly #pending = new Set<Cancellable>();
  readonly #putBacks: Message[] = [];
  #puttingBack = false;

  private constructor(id: number, key: number | undefined) {
    super();
    this.id = id;
    this.key = key;
    this.maxMessageSize = native.msgctlInfo(IPC_INFO).msgmax;
  }

  /**
   * msgget(key, flags): opens (or with `create`, makes) the queue for `key`.
   *
   * @example
   * const q = MessageQueue.open(ftok('/tmp', 1), { create: true, mode: 0o600 });
   */
  static open(key: number, options?: MessageQueueOpenOptions): MessageQueue {
    validateInteger(key, 'key', -(2 ** 31), 2 ** 32 - 1);
    const opts = validateOptions<MessageQueueOpenOptions>(options);
    const create = opts.create === undefined ? false : validateBoolean(opts.create, 'options.create');
    const exclusive = opts.exclusive === undefined ? false : validateBoolean(opts.exclusive, 'options.exclusive');
    const mode = opts.mode === undefined ? 0o600 : validateMode(opts.mode, 'options.mode');
    const flags = (create ? IPC_CREAT : 0) | (exclusive ? IPC_EXCL : 0) | mode;
    return new MessageQueue(native.msgget(key, flags), key);
  }

  /**
   * Attaches to a queue by id (for example one a parent process made with IPC_PRIVATE).
   * Fails with EINVAL/EIDRM if no such queue exists.
   *
   * @example
   * const q = MessageQueue.fromId(Number(process.env.QUEUE_ID));
   */
  static fromId(id: number): MessageQueue {
    validateInteger(id, 'id', 0, 2 ** 31 - 1);
    native.msgctlStat(id);
    return new MessageQueue(id, undefined);
  }

  /**
   * The kernel's limits (msgctl IPC_INFO): msgmax (largest message), msgmnb (default
   * queue size in bytes), msgmni (most queues), ...
   *
   * @example
   * MessageQueue.limits().msgmax; // 8192
   */
  static limits(): MessageQueueLimits {
    return native.msgctlInfo(IPC_INFO);
  }

  /**
   * System-wide usage (msgctl MSG_INFO): msgpool = queues in use, msgmap = messages,
   * msgtql = bytes, index = the highest index in use.
   *
   * @example
   * MessageQueue.usage().msgmap; // messages queued system-wide
   */
  static usage(): MessageQueueLimits {
    return native.msgctlInfo(MSG_INFO);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one message of `type` (an integer 1..2^53-1). Resolves when it is in the queue:
   * at once when there is room, otherwise after waiting on a waiter thread until there is.
   * Messages from one MessageQueue object are sent in call order.
   *
   * @example
   * await q.send(3, Buffer.from([1, 2, 3]), { timeout: 1000 });
   */
  send(type: number, data: Payload, options?: SendOptions): Promise<void> {
    let job: QueuedSend;
    try {
      const { bytes } = this.#validateSend(type, data);
      const opts = validateOptions<SendOptions>(options);
      const signal = validateAbortSignal(opts.signal, 'options.signal');
      const timeout = validateTimeout(opts.timeout, 'options.timeout');
      this.#assertOpen();
      if (signal?.aborted) return Promise.reject(abortError(signal));
      if (this.#sends.length === 0 && this.#sendNow(type, bytes)) return Promise.resolve();
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Copied: the caller may reuse its buffer as soon as send() returns.
      job = { type, data: Buffer.from(bytes), signal, timeout, resolve, reject };
      this.#sends.push(job);
      if (this.#sends.length > 1) {
        // Still queued behind others: an abort or the timeout simply takes it out of the line.
        // (The timeout counts from this call, not from when the send reaches the front.)
        const leave = (err: Error) => {
          const i = this.#sends.indexOf(job);
          if (i > 0) {
            this.#sends.splice(i, 1);
            this.#leaveLine(job);
            reject(err);
          }
        };
        if (signal) {
          job.onAbort = () => leave(abortError(signal));
          signal.addEventListener('abort', job.onAbort, { once: true });
        }
        if (timeout !== undefined) {
          job.deadline = performance.now() + timeout;
          job.timer = setTimeout(() => leave(systemError(errnos.ETIMEDOUT, 'msgsnd')), timeout);
        }
      }
      void this.#pump();
      return promise;
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Sends without waiting: true if the message is in the queue, false if the queue is full
   * (or earlier sends of this object are still waiting: order is kept).
   *
   * @example
   * if (!q.trySend(1, 'tick')) console.log('queue full');
   */
  trySend(type: number, data: Payload): boolean {
    const { bytes } = this.#validateSend(type, data);
    this.#assertOpen();
    if (this.#sends.length > 0) return false;
    return this.#sendNow(type, bytes);
  }

  /**
   * Receives one message matching `type` (see {@link ReceiveSelector}), waiting on a waiter
   * thread if none is queued. A message longer than `maxSize` fails with E2BIG and stays in
   * the queue, unless `truncate`. If a message arrives at the moment of an abort, it is
   * delivered (the promise resolves with it) rather than lost.
   *
   * @example
   * const { type, data } = await q.receive({ type: -5, signal: AbortSignal.timeout(1000) });
   */
  async receive(options?: ReceiveOptions): Promise<Message> {
    const opts = validateOptions<ReceiveOptions>(options);
    const sel = this.#validateSelector(opts);
    const signal = validateAbortSignal(opts.signal, 'options.signal');
    const timeout = validateTimeout(opts.timeout, 'options.timeout');
    this.#assertOpen();
    if (signal?.aborted) throw abortError(signal);
    const now = this.#call(() => native.msgrcv(this.id, sel.maxSize, sel.type, sel.flags), 'msgrcv');
    if (now !== undefined) return now;
    return new Promise<Message>((resolve, reject) => {
      let got: Message | undefined;
      let reason: 'abort' | 'timeout' | 'close' | undefined;
      let removed: SystemError | undefined;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => cancel('abort');
      const entry: Cancellable = {
        cancel: (err) => {
          removed = err;
          cancel('close');
        },
      };
      const cleanup = () => {
        this.#pending.delete(entry);
        signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      };
      const sink: ReceiverSink = {
        messages: (batch) => {
          got = batch[0];
        },
        end: (err) => {
          cleanup();
          if (got) resolve(got);
          else if (err) reject(this.#normalize(err as SystemError));
          else if (reason === 'abort') reject(abortError(signal));
          else if (reason === 'timeout') reject(systemError(errnos.ETIMEDOUT, 'msgrcv'));
          else reject(removed ?? closedError('MessageQueue'));
        },
      };
      // A message taken by the thread while we cancel is still delivered: the sink keeps it.
      const receiver = new Receiver({ msqid: this.id, ...sel, batch: 1, credit: 1, once: true }, sink, (batch) => {
        got = batch[0];
      });
      const cancel = (r: 'abort' | 'timeout' | 'close') => {
        if (reason) return;
        reason = r;
        receiver.close();
      };
      this.#pending.add(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout !== undefined) timer = setTimeout(() => cancel('timeout'), timeout);
    });
  }

  /**
   * Receives without waiting: the first matching message, or undefined if there is none.
   *
   * @example
   * const m = q.tryReceive({ type: 2 });
   */
  tryReceive(options?: ReceiveSelector): Message | undefined {
    const opts = validateOptions<ReceiveSelector>(options);
    const sel = this.#validateSelector(opts);
    this.#assertOpen();
    return this.#call(() => native.msgrcv(this.id, sel.maxSize, sel.type, sel.flags), 'msgrcv');
  }

  /**
   * An object-mode Readable of `{ type, data }` messages matching the selector, received on
   * a waiter thread in batches. It takes messages out of the kernel only while its buffer is
   * below `highWaterMark` (default 256): a stream nobody reads leaves them to other processes.
   * Removal of the queue destroys the stream with an EIDRM error.
   *
   * @example
   * for await (const { type, data } of q.createReadStream({ type: 3 })) console.log(type, data);
   */
  createReadStream(options?: MessageReadStreamOptions): MessageReadStream {
    const opts = validateOptions<MessageReadStreamOptions>(options);
    const sel = this.#validateSelector(opts);
    const highWaterMark =
      opts.highWaterMark === undefined ? 256 : validateInteger(opts.highWaterMark, 'options.highWaterMark', 1, 65536);
    this.#assertOpen();
    return new MessageReadStream(this, sel, highWaterMark);
  }

  /**
   * An object-mode Writable: each chunk (Buffer, Uint8Array or string) is one message of
   * `type`; or, without `type`, each chunk is a `{ type, data }` message. Writes that arrive
   * together are sent as one batch (IPC_NOWAIT); a full queue makes the stream wait.
   *
   * @example
   * pipeline(source, q.createWriteStream({ type: 1 }), (err) => {});
   */
  createWriteStream(options?: MessageWriteStreamOptions): MessageWriteStream {
    const opts = validateOptions<MessageWriteStreamOptions>(options);
    const type = opts.type === undefined ? undefined : validateInteger(opts.type, 'options.type', 1, MAX_SAFE_INTEGER);
    const highWaterMark =
      opts.highWaterMark === undefined ? 256 : validateInteger(opts.highWaterMark, 'options.highWaterMark', 1, 65536);
    this.#assertOpen();
    return new MessageWriteStream(this, type, highWaterMark);
  }

  /**
   * msgctl(IPC_STAT): msqid_ds (qnum, cbytes, qbytes, lspid, lrpid, stime, rtime, ctime, perm).
   *
   * @example
   * q.stat().qnum; // messages waiting
   */
  stat(): MessageQueueStat {
    this.#assertOpen();
    return this.#call(() => native.msgctlStat(this.id), 'msgctl');
  }

  /**
   * msgctl(IPC_SET) of the given fields.
   *
   * @example
   * q.set({ maxBytes: 4096, mode: 0o640 });
   */
  set(fields: MessageQueueSetOptions): void {
    const f = validateOptions<MessageQueueSetOptions>(fields, 'fields');
    const out: { uid?: number; gid?: number; mode?: number; qbytes?: number } = {};
    if (f.mode !== undefined) out.mode = validateMode(f.mode, 'fields.mode');
    if (f.uid !== undefined) out.uid = validateInteger(f.uid, 'fields.uid', 0, 2 ** 32 - 2);
    if (f.gid !== undefined) out.gid = validateInteger(f.gid, 'fields.gid', 0, 2 ** 32 - 2);
    if (f.maxBytes !== undefined) out.qbytes = validateInteger(f.maxBytes, 'fields.maxBytes', 0, MAX_SAFE_INTEGER);
    this.#assertOpen();
    this.#call(() => native.msgctlSet(this.id, out), 'msgctl');
  }

  /**
   * msgctl(IPC_RMID): removes the queue for everyone. Blocked receivers and senders (in any
   * process) fail with EIDRM. Also closes this object.
   *
   * @example
   * q.remove();
   */
  remove(): void {
    this.#assertOpen();
    this.#call(() => native.msgctlRemove(this.id), 'msgctl');
    this.#markRemoved();
    this.#shutdown(systemError(errnos.EIDRM, 'msgrcv')); // what every waiting receiver would have seen
  }

  /**
   * Cancels everything this object is waiting for (receives, sends, streams) and makes it
   * unusable. The queue itself stays (see {@link MessageQueue.remove}). Idempotent.
   *
   * @example
   * q.close();
   */
  close(): void {
    this.#shutdown(undefined);
  }

  /** Ends every wait of this object: with `removed` (EIDRM) after remove(), else as closed. */
  #shutdown(removed: SystemError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of [...this.#pending]) p.cancel(removed);
    for (const job of this.#sends.splice(1)) {
      this.#leaveLine(job);
      job.reject(removed ? systemError(errnos.EIDRM, 'msgsnd') : closedError('MessageQueue'));
    }
    this.emit('close');
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---- internals shared with the streams and @rxipc/rx ----

  /** @internal */
  _track(entry: Cancellable): () => void {
    this.#pending.add(entry);
    return () => this.#pending.delete(entry);
  }

  /** @internal Starts a batched receiver; see Receiver. */
  _receiver(sel: ValidSelector, batch: number, credit: number, sink: ReceiverSink): Receiver {
    this.#assertOpen();
    const wrapped: ReceiverSink = {
      messages: (b) => sink.messages(b),
      end: (err) => sink.end(err ? this.#normalize(err as SystemError) : undefined),
    };
    return new Receiver({ msqid: this.id, ...sel, batch, credit }, wrapped, (b) => this._putBack(b));
  }

  /**
   * @internal Returns messages that were taken out of the kernel for a consumer that is
   * gone. They go to the back of the queue, in their order; if it is full, they wait on a
   * waiter thread (keeping the process alive) until there is room. Only the queue's removal
   * drops them: there is nowhere left to put them.
   */
  _putBack(batch: Message[]): void {
    this.#putBacks.push(...batch);
    if (!this.#puttingBack) {
      // Nothing awaits the drain: a failure it did not expect (say a waiter thread that could
      // not start) is reported, never an unhandled rejection that ends the process.
      this.#drainPutBacks().catch((err: Error) =>
        process.emitWarning(`rxipc: could not put messages back into queue ${this.id}: ${err.message}`),
      );
    }
  }

  async #drainPutBacks(): Promise<void> {
    this.#puttingBack = true;
    try {
      while (this.#putBacks.length > 0) {
        const m = this.#putBacks[0]!;
        let sent: boolean;
        try {
          sent = native.msgsnd(this.id, m.type, m.data);
        } catch (err) {
          if (this.#normalize(err as SystemError).code === 'EIDRM') break;
          // Not removed, yet it refuses the message (permissions or msgmax changed since it
          // was received): say so rather than lose it silently, and go on with the rest.
          process.emitWarning(`rxipc: could not put a message back into queue ${this.id}: ${(err as Error).message}`);
          this.#putBacks.shift();
          continue;
        }
        if (!sent) {
          const { errno } = await new PendingTask(() => native.msgsndStart(this.id, m.type, m.data)).result;
          if (errno !== 0) {
            const err = this.#normalize(systemError(errno, 'msgsnd'));
            if (err.code === 'EIDRM') break;
            process.emitWarning(`rxipc: could not put a message back into queue ${this.id}: ${err.message}`);
          }
        }
        this.#putBacks.shift();
      }
    } finally {
      this.#putBacks.length = 0;
      this.#puttingBack = false;
    }
  }

  /** @internal Validates a selector into msgrcv arguments. */
  _selector(opts: ReceiveSelector): ValidSelector {
    return this.#validateSelector(opts);
  }

  /** @internal Sends packed records without waiting; returns how many fit. */
  _sendBatch(messages: ReadonlyArray<{ type: number; data: Uint8Array }>): number {
    this.#assertOpen();
    if (this.#sends.length > 0) return 0;
    return this.#call(() => native.msgsndRecords(this.id, packRecords(messages), messages.length), 'msgsnd');
  }

  /** @internal */
  _validatePayload(type: number, data: Payload): Uint8Array {
    return this.#validateSend(type, data).bytes;
  }

  #validateSend(type: number, data: Payload): { bytes: Uint8Array } {
    validateInteger(type, 'type', 1, MAX_SAFE_INTEGER);
    const bytes = toBytes(data, 'data');
    if (bytes.length > this.maxMessageSize) {
      throw outOfRange('data.length', `<= ${this.maxMessageSize} (msgmax)`, bytes.length);
    }
    return { bytes };
  }

  #validateSelector(opts: ReceiveSelector): ValidSelector {
    const type = opts.type === undefined ? 0 : validateInteger(opts.type, 'options.type', -MAX_SAFE_INTEGER, MAX_SAFE_INTEGER);
    const except = opts.except === undefined ? false : validateBoolean(opts.except, 'options.except');
    const truncate = opts.truncate === undefined ? false : validateBoolean(opts.truncate, 'options.truncate');
    const maxSize =
      opts.maxSize === undefined ? this.maxMessageSize : validateInteger(opts.maxSize, 'options.maxSize', 0, 2 ** 31 - 65);
    if (except && type <= 0) throw invalidArgValue('options.except', 'needs a type > 0', type);
    return { type, flags: (except ? MSG_EXCEPT : 0) | (truncate ? MSG_NOERROR : 0), maxSize };
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError('MessageQueue');
  }

  #sendNow(type: number, bytes: Uint8Array): boolean {
    return this.#call(() => native.msgsnd(this.id, type, bytes), 'msgsnd');
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#sends.length > 0) {
        const job = this.#sends[0]!;
        this.#leaveLine(job);
        try {
          if (job.signal?.aborted) throw abortError(job.signal);
          if (this.#closed) throw closedError('MessageQueue');
          if (!this.#sendNow(job.type, job.data)) await this.#sendWaiting(job);
          job.resolve();
        } catch (err) {
          job.reject(err as Error);
        }
        this.#sends.shift();
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** A queued send leaves the line (sent, failed, aborted, timed out): its listeners go. */
  #leaveLine(job: QueuedSend): void {
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    if (job.timer) clearTimeout(job.timer);
  }

  async #sendWaiting(job: QueuedSend): Promise<void> {
    const task = new PendingTask(() => native.msgsndStart(this.id, job.type, job.data), {
      signal: job.signal,
      timeout: job.deadline === undefined ? job.timeout : Math.max(0, job.deadline - performance.now()),
    });
    const untrack = this._track({ cancel: () => task.cancel('close') });
    const { errno, reason } = await task.result;
    untrack();
    if (errno === 0) return; // sent, even if a cancel raced with it
    if (reason === 'abort') throw abortError(job.signal);
    if (reason === 'timeout') throw systemError(errnos.ETIMEDOUT, 'msgsnd');
    if (reason === 'close') throw this.#removed ? systemError(errnos.EIDRM, 'msgsnd') : closedError('MessageQueue');
    throw this.#normalize(systemError(errno, 'msgsnd'));
  }

  /** Runs a synchronous native call, giving removal one face (EIDRM) whatever the call. */
  #call<T>(fn: () => T, syscall: string): T {
    try {
      return fn();
    } catch (err) {
      throw this.#normalize(err as SystemError, syscall);
    }
  }

  /**
   * After IPC_RMID the kernel says EIDRM to a waiting call but EINVAL to a new one: both
   * mean "the queue is gone", so both become EIDRM.
   */
  #normalize(err: SystemError, syscall = err.syscall): SystemError {
    if (err.code !== 'EINVAL' && err.code !== 'EIDRM') return err;
    if (!this.#removed && !this.#gone()) return err;
    this.#markRemoved();
    return err.code === 'EIDRM' ? err : systemError(errnos.EIDRM, syscall);
  }

  #gone(): boolean {
    try {
      native.msgctlStat(this.id);
      return false;
    } catch (e) {
      return (e as SystemError).code === 'EINVAL' || (e as SystemError).code === 'EIDRM';
    }
  }

  #markRemoved(): void {
    if (this.#removed) return;
    this.#removed = true;
    this.emit('removed');
  }
}

/** @internal msgrcv arguments after validation. */
export interface ValidSelector {
  type: number;
  flags: number;
  maxSize: number;
}
