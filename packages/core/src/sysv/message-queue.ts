
import { native, type IpcPerm, type MsgInfo, type MsqidDs } from '@rxipc/native';

import { TypedEventEmitter } from '../events.js';
import { abortError, closedError, errnos, invalidArgType, invalidArgValue, outOfRange, systemError, type SystemError } from '../errors.js';
import { Lifecycle } from '../lifecycle.js';
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
import { Backlog, type ValidSelector } from './backlog.js';
import { listQueues, type MessageQueueInfo } from './list.js';
import type { Message } from './records.js';
import { Subscription, type Consumer, type SubscriptionOptions } from './receiver.js';
import { SendLine } from './send-line.js';

const { IPC_CREAT, IPC_EXCL, IPC_INFO, MSG_INFO, MSG_EXCEPT, MSG_NOERROR } = native.constants;

export type { Message, MessageQueueInfo };

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
  /**
   * Latency mode, opt-in: before each blocking receive the waiter thread polls the queue
   * (msgrcv with IPC_NOWAIT, yielding its CPU between polls) for up to this many µs,
   * 0..10000 (default 0: block at once). A reply that arrives within the window is taken
   * without a wake-up, which saves most of a cross-CPU wake-up (tens of µs in a VM) in a
   * request/reply exchange. It costs a CPU busy for the whole window after every message;
   * it gains nothing when the main thread and the sender share the waiter's CPU, and
   * nothing for a stream of messages (the queue is rarely empty then). See bench/README.md.
   */
  spin?: number;
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

/**
 * What @rxipc/core's streams and @rxipc/rx need of a queue object, kept out of its public
 * type: reach it with {@link queueInternals} (exported from `@rxipc/core/internal`).
 */
export interface QueueInternals {
  readonly id: number;
  readonly life: Lifecycle;
  readonly backlog: Backlog;
  readonly sends: SendLine;
  /** Validates a selector into msgrcv arguments. */
  selector(opts: ReceiveSelector): ValidSelector;
  /** Validates a message; returns its bytes. */
  payload(type: number, data: unknown): Uint8Array;
  /** A subscription on the one delivery loop (call start() on it). Throws if closed. */
  subscribe(sel: ValidSelector, opts: SubscriptionOptions, consumer: Consumer): Subscription;
}

const internals = new WeakMap<object, QueueInternals>();

/**
 * The internals of a MessageQueue; a TypeError (ERR_INVALID_ARG_TYPE) for anything else.
 *
 * @example
 * const { selector } = queueInternals(q);
 */
export function queueInternals(queue: unknown, name = 'queue'): QueueInternals {
  const q = typeof queue === 'object' && queue !== null ? internals.get(queue) : undefined;
  if (q === undefined) throw invalidArgType(name, 'an instance of MessageQueue', queue);
  return q;
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
export class MessageQueue extends TypedEventEmitter<MessageQueueEvents> {
  /** The queue id (msqid). */
  readonly id: number;
  /** The key it was opened with (IPC_PRIVATE = 0), undefined for {@link MessageQueue.fromId}. */
  readonly key: number | undefined;
  /** The kernel's msgmax when the queue was opened: the largest payload, and the default maxSize. */
  readonly maxMessageSize: number;

  readonly #life: Lifecycle;
  readonly #sends: SendLine;
  readonly #backlog: Backlog;

  private constructor(id: number, key: number | undefined) {
    super();
    this.id = id;
    this.key = key;
    this.maxMessageSize = native.msgctlInfo(IPC_INFO).msgmax;
    this.#life = new Lifecycle({
      what: 'MessageQueue',
      exists: () => queueExists(id),
      onRemoved: () => this.emit('removed'),
      onClosed: () => this.emit('close'),
      drained: () => this.#backlog.drained(),
    });
    this.#sends = new SendLine(id, this.#life);
    this.#backlog = new Backlog(id, this.#life);
    const life = this.#life;
    const backlog = this.#backlog;
    internals.set(this, {
      id,
      life,
      backlog,
      sends: this.#sends,
      selector: (opts) => this.#validateSelector(opts),
      payload: (type, data) => this.#validateSend(type, data),
      subscribe: (sel, opts, consumer) => {
        life.assertOpen();
        return new Subscription({ id, life, backlog }, sel, opts, consumer);
      },
    });
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

  /**
   * Every queue on the machine (msgctl MSG_STAT_ANY over the kernel's index space, as `ipcs`
   * reads it): id, key, owner, mode and live figures, whoever owns the queue.
   *
   * @example
   * for (const { id, perm, qnum } of MessageQueue.list()) console.log(id, perm.key, qnum);
   */
  static list(): MessageQueueInfo[] {
    return listQueues();
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#life.closed;
  }

  /**
   * A copy of the message at position `index` (0 = the oldest, in queue order), left in the
   * queue: msgrcv with MSG_COPY. Undefined past the last message. Needs read permission; a
   * kernel built without CONFIG_CHECKPOINT_RESTORE fails with ENOSYS. Messages this object
   * holds for put-back are not in the kernel's queue, so they are not seen.
   *
   * @example
   * for (let i = 0, m; (m = q.peek(i)) !== undefined; i++) console.log(m.type, m.data);
   */
  peek(index = 0): Message | undefined {
    validateInteger(index, 'index', 0, 2 ** 31 - 1);
    this.#life.assertOpen();
    return this.#life.call(() => native.msgrcvCopy(this.id, index, this.maxMessageSize), 'msgrcv');
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
    try {
      const bytes = this.#validateSend(type, data);
      const opts = validateOptions<SendOptions>(options);
      const signal = validateAbortSignal(opts.signal, 'options.signal');
      const timeout = validateTimeout(opts.timeout, 'options.timeout');
      this.#life.assertOpen();
      if (signal?.aborted) return Promise.reject(abortError(signal));
      return this.#sends.send(type, bytes, signal, timeout);
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
    const bytes = this.#validateSend(type, data);
    this.#life.assertOpen();
    if (this.#sends.busy) return false;
    return this.#sends.now(type, bytes);
  }

  /**
   * Receives one message matching `type` (see {@link ReceiveSelector}), waiting on a waiter
   * thread if none is queued. A message longer than `maxSize` fails with E2BIG and stays in
   * the queue, unless `truncate`. If a message arrives at the moment of an abort, it is
   * delivered (the promise resolves with it) rather than lost. A message this object took
   * out of the kernel for a consumer that left is served first. Crash window: a kill -9 of
   * this process loses at most the one message being received.
   *
   * @example
   * const { type, data } = await q.receive({ type: -5, signal: AbortSignal.timeout(1000) });
   */
  async receive(options?: ReceiveOptions): Promise<Message> {
    const opts = validateOptions<ReceiveOptions>(options);
    const sel = this.#validateSelector(opts);
    const signal = validateAbortSignal(opts.signal, 'options.signal');
    const timeout = validateTimeout(opts.timeout, 'options.timeout');
    this.#life.assertOpen();
    if (signal?.aborted) throw abortError(signal);
    const now = this.#receiveNow(sel);
    if (now !== undefined) return now;
    return new Promise<Message>((resolve, reject) => {
      let got: Message | undefined;
      let reason: 'abort' | 'timeout' | undefined;
      let cancelled: Error | undefined;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => cancel('abort');
      // A message taken by the thread while we cancel is still delivered: the consumer
      // stays open until it has one.
      const sub = new Subscription({ id: this.id, life: this.#life, backlog: this.#backlog }, sel, { batch: 1, credit: 1, once: true }, {
        get open() {
          return got === undefined;
        },
        next: (m) => {
          got = m;
        },
        cancelled: (removed) => {
          cancelled = removed;
        },
        end: (err) => {
          signal?.removeEventListener('abort', onAbort);
          if (timer) clearTimeout(timer);
          if (got) resolve(got);
          else if (err) reject(err);
          else if (reason === 'abort') reject(abortError(signal));
          else if (reason === 'timeout') reject(systemError(errnos.ETIMEDOUT, 'msgrcv'));
          else reject(cancelled ?? closedError('MessageQueue'));
        },
      });
      const cancel = (r: 'abort' | 'timeout') => {
        if (reason) return;
        reason = r;
        sub.close();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout !== undefined) timer = setTimeout(() => cancel('timeout'), timeout);
      sub.start();
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
    this.#life.assertOpen();
    return this.#receiveNow(sel);
  }

  /**
   * An object-mode Readable of `{ type, data }` messages matching the selector, received on
   * a waiter thread in batches. It takes messages out of the kernel only while its buffer is
   * below `highWaterMark` (default 256): a stream nobody reads leaves them to other processes.
   * Removal of the queue destroys the stream with an EIDRM error (a paused stream learns of it
   * within 200 ms). Destroying the stream returns what it holds to the queue (see close()).
   * Crash window: a kill -9 of this process loses at most `highWaterMark` messages (the
   * stream's buffer plus what is in flight); a smaller highWaterMark trades throughput for it.
   *
   * @example
   * for await (const { type, data } of q.createReadStream({ type: 3 })) console.log(type, data);
   */
  createReadStream(options?: MessageReadStreamOptions): MessageReadStream {
    const opts = validateOptions<MessageReadStreamOptions>(options);
    const sel = this.#validateSelector(opts);
    const highWaterMark =
      opts.highWaterMark === undefined ? 256 : validateInteger(opts.highWaterMark, 'options.highWaterMark', 1, 65536);
    this.#life.assertOpen();
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
    this.#life.assertOpen();
    return new MessageWriteStream(this, type, highWaterMark);
  }

  /**
   * msgctl(IPC_STAT): msqid_ds (qnum, cbytes, qbytes, lspid, lrpid, stime, rtime, ctime, perm).
   *
   * @example
   * q.stat().qnum; // messages waiting
   */
  stat(): MessageQueueStat {
    this.#life.assertOpen();
    return this.#life.call(() => native.msgctlStat(this.id), 'msgctl');
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
    this.#life.assertOpen();
    this.#life.call(() => native.msgctlSet(this.id, out), 'msgctl');
  }

  /**
   * msgctl(IPC_RMID): removes the queue for everyone. Blocked receivers and senders (in any
   * process) fail with EIDRM; so do this object's own waits and streams. Also closes this
   * object; messages it held for put-back are dropped (there is nowhere left to put them).
   *
   * @example
   * q.remove();
   */
  remove(): void {
    this.#life.assertOpen();
    this.#life.call(() => native.msgctlRemove(this.id), 'msgctl');
    this.#life.markRemoved();
    this.#backlog.clear();
    this.#sends.shutdown();
    void this.#life.shutdown(systemError(errnos.EIDRM, 'msgrcv')); // what every waiting receiver would have seen
  }

  /**
   * Cancels everything this object is waiting for (receives, sends, streams, subscriptions)
   * and makes it unusable; the queue itself stays (see {@link MessageQueue.remove}).
   * Idempotent. The promise (which never rejects) settles once every message this object
   * took out of the kernel is delivered or back in the queue: await it before
   * `process.exit()` to be sure nothing is held. While the queue is full that waits for
   * room; if the process exits first, it keeps trying for up to 1 s at exit, then reports
   * on stderr how many messages it could not return.
   *
   * @example
   * sub.unsubscribe();
   * await q.close(); // taken-ahead messages are back in the queue
   */
  close(): Promise<void> {
    this.#sends.shutdown();
    return this.#life.shutdown(undefined);
  }

  [Symbol.dispose](): void {
    void this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #receiveNow(sel: ValidSelector): Message | undefined {
    const [held] = this.#backlog.take(sel, 1); // what this object holds is served first
    if (held) return held;
    return this.#life.call(() => native.msgrcv(this.id, sel.maxSize, sel.type, sel.flags), 'msgrcv');
  }

  #validateSend(type: unknown, data: unknown): Uint8Array {
    validateInteger(type, 'type', 1, MAX_SAFE_INTEGER);
    const bytes = toBytes(data, 'data');
    if (bytes.length > this.maxMessageSize) {
      throw outOfRange('data.length', `<= ${this.maxMessageSize} (msgmax)`, bytes.length);
    }
    return bytes;
  }

  #validateSelector(opts: ReceiveSelector): ValidSelector {
    const type = opts.type === undefined ? 0 : validateInteger(opts.type, 'options.type', -MAX_SAFE_INTEGER, MAX_SAFE_INTEGER);
    const except = opts.except === undefined ? false : validateBoolean(opts.except, 'options.except');
    const truncate = opts.truncate === undefined ? false : validateBoolean(opts.truncate, 'options.truncate');
    const maxSize =
      opts.maxSize === undefined ? this.maxMessageSize : validateInteger(opts.maxSize, 'options.maxSize', 0, 2 ** 31 - 65);
    const spin = opts.spin === undefined ? 0 : validateInteger(opts.spin, 'options.spin', 0, 10000);
    if (except && type <= 0) throw invalidArgValue('options.except', 'needs a type > 0', type);
    return { type, flags: (except ? MSG_EXCEPT : 0) | (truncate ? MSG_NOERROR : 0), maxSize, spin };
  }

}

/** Whether queue `id` still exists. */
function queueExists(id: number): boolean {
  try {
    native.msgctlStat(id);
    return true;
  } catch (e) {
    return (e as SystemError).code !== 'EINVAL' && (e as SystemError).code !== 'EIDRM';
  }
}

export type { ValidSelector };
