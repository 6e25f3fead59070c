import { Readable, Writable } from 'node:stream';

import type { Message } from '../sysv/records.js';
import type { Subscription } from '../sysv/receiver.js';
import { queueInternals, type MessageQueue, type QueueInternals, type ReceiveSelector, type ValidSelector } from '../sysv/message-queue.js';
import { invalidArgType } from '../errors.js';
import { validateInteger } from '../validate.js';
import type { Payload } from '../validate.js';

export interface MessageReadStreamOptions extends ReceiveSelector {
  /** Most messages held in the stream (and so taken out of the kernel) at once. Default 256. */
  highWaterMark?: number;
}

export interface MessageWriteStreamOptions {
  /** The type of every message written; without it, write `{ type, data }` objects. */
  type?: number;
  /** Default 256 messages. */
  highWaterMark?: number;
}

/**
 * Messages of a System V queue as an object-mode Readable (see MessageQueue.createReadStream).
 * Backpressure reaches the kernel: the receiver thread takes only as many messages as the
 * stream has room for. Destroying the stream puts the messages it holds but never handed
 * out back into the queue (at its back). close() of the queue ends the stream; removal
 * destroys it with EIDRM.
 *
 * @example
 * q.createReadStream({ type: 3 }).on('data', ({ type, data }) => console.log(type, data));
 */
export class MessageReadStream extends Readable {
  readonly queue: MessageQueue;
  readonly #q: QueueInternals;
  readonly #selector: ValidSelector;
  #sub: Subscription | undefined;
  /** Messages asked of the kernel and not yet pushed. */
  #inflight = 0;
  #ending = false;
  #refed = true;
  #untrack: (() => void) | undefined;

  /** @internal use MessageQueue.createReadStream(). */
  constructor(queue: MessageQueue, selector: ValidSelector, highWaterMark: number) {
    const q = queueInternals(queue);
    validateInteger(highWaterMark, 'highWaterMark', 1, 65536);
    super({ objectMode: true, highWaterMark });
    this.queue = queue;
    this.#q = q;
    this.#selector = validSelector(selector);
    // close() of the queue ends the stream (what it holds can still be read); remove()
    // destroys it with EIDRM. Tracked from the start: a stream not yet read ends too.
    this.#untrack = q.life.track({ cancel: (removed) => (removed ? this.destroy(removed) : this.#end()) });
  }

  /** Nothing once destroyed: what it held went back to the queue, so handing it out here would duplicate it. */
  override read(size?: number): unknown {
    if (size !== undefined) validateInteger(size, 'size', 0, 2 ** 30);
    if (this.destroyed) return null;
    return super.read(size);
  }

  override _read(): void {
    let want = this.readableHighWaterMark - this.readableLength - this.#inflight;
    if (want <= 0) {
      // read() calls _read before it takes its message out of a full buffer, and calls it
      // again only after a push: with nothing in flight, one more keeps it at highWaterMark
      // and guarantees that push (returning here would stall the stream for good).
      if (this.#inflight > 0) return;
      want = 1;
    }
    this.#inflight += want;
    if (this.#sub) {
      this.#sub.credit(want);
      return;
    }
    try {
      const stream = this;
      this.#sub = this.#q.subscribe(
        this.#selector,
        { batch: Math.min(256, this.readableHighWaterMark), credit: this.readableHighWaterMark },
        {
          // Destroyed (or ended by close()) by a consumer of an earlier message: push()
          // would silently drop the rest, so it goes back to the queue.
          get open() {
            return !stream.destroyed && !stream.#ending;
          },
          next: (m) => {
            this.#inflight = Math.max(0, this.#inflight - 1);
            this.push(m);
          },
          end: (err) => {
            this.#untrack?.();
            if (err) this.destroy(err);
            else this.#end();
          },
        },
      );
      // unref() may come before the first read made the receiver.
      if (!this.#refed) this.#sub.ref(false);
      this.#sub.start(want);
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  /** No more messages will be taken from the kernel; the stream ends once drained. */
  #end(): void {
    if (this.#ending || this.destroyed) return;
    this.#ending = true;
    this.#sub?.close();
    this.push(null);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#sub?.close();
    this.#untrack?.();
    // Messages pushed but never read go back to the queue rather than vanish.
    const held = heldMessages(this);
    if (held.length > 0) this.#q.backlog.add(held);
    callback(error);
  }

  /** Whether a waiting stream keeps the event loop alive (default: yes). */
  ref(ref = true): this {
    this.#refed = ref;
    this.#sub?.ref(ref);
    return this;
  }

  unref(): this {
    return this.ref(false);
  }
}

/** A selector as MessageQueue's validation made it (the constructor is reachable by anyone). */
function validSelector(sel: unknown): ValidSelector {
  const s = sel as Partial<ValidSelector> | null;
  if (typeof s !== 'object' || s === null) throw invalidArgType('selector', 'of type object', sel);
  return {
    type: validateInteger(s.type, 'selector.type', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    flags: validateInteger(s.flags, 'selector.flags', 0, 2 ** 31 - 1),
    maxSize: validateInteger(s.maxSize, 'selector.maxSize', 0, 2 ** 31 - 65),
    spin: s.spin === undefined ? 0 : validateInteger(s.spin, 'selector.spin', 0, 10000),
  };
}

/** The objects buffered in a Readable (Node 20: an array read from bufferIndex). */
function heldMessages(stream: Readable): Message[] {
  const state = (stream as unknown as { _readableState?: { buffer?: unknown; bufferIndex?: number } })._readableState;
  const buffer = state?.buffer;
  if (Array.isArray(buffer)) return buffer.slice(state?.bufferIndex ?? 0) as Message[];
  if (buffer && typeof (buffer as Iterable<Message>)[Symbol.iterator] === 'function') return [...(buffer as Iterable<Message>)];
  return [];
}

type Chunk = Payload | { type: number; data: Payload };

/**
 * An object-mode Writable that sends each chunk as one message (see
 * MessageQueue.createWriteStream). Chunks written together are sent as one batch.
 *
 * @example
 * const w = q.createWriteStream({ type: 1 });
 * w.write('one'); w.end('two');
 */
export class MessageWriteStream extends Writable {
  readonly queue: MessageQueue;
  readonly type: number | undefined;
  readonly #q: QueueInternals;

  /** @internal use MessageQueue.createWriteStream(). */
  constructor(queue: MessageQueue, type: number | undefined, highWaterMark: number) {
    const q = queueInternals(queue);
    if (type !== undefined) q.payload(type, '');
    validateInteger(highWaterMark, 'highWaterMark', 1, 65536);
    super({ objectMode: true, highWaterMark });
    this.queue = queue;
    this.type = type;
    this.#q = q;
  }

  #message(chunk: Chunk): { type: number; data: Uint8Array } {
    if (this.type !== undefined) {
      return { type: this.type, data: this.#q.payload(this.type, chunk as Payload) };
    }
    if (chunk === null || typeof chunk !== 'object' || chunk instanceof Uint8Array) {
      throw invalidArgType('chunk', 'a { type, data } message (the stream has no type option)', chunk);
    }
    const m = chunk as { type: number; data: Payload };
    return { type: m.type, data: this.#q.payload(m.type, m.data) };
  }

  override _write(chunk: Chunk, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    let m: { type: number; data: Uint8Array };
    try {
      m = this.#message(chunk);
      if (this.queue.trySend(m.type, m.data)) {
        callback();
        return;
      }
    } catch (err) {
      callback(err as Error);
      return;
    }
    this.queue.send(m.type, m.data).then(() => callback(), callback);
  }

  override _writev(chunks: Array<{ chunk: Chunk }>, callback: (error?: Error | null) => void): void {
    let messages: Array<{ type: number; data: Uint8Array }>;
    let sent: number;
    try {
      messages = chunks.map((c) => this.#message(c.chunk));
      this.#q.life.assertOpen();
      sent = this.#q.sends.batch(messages);
    } catch (err) {
      callback(err as Error);
      return;
    }
    if (sent === messages.length) {
      callback();
      return;
    }
    // The queue filled up (or sends were in line): the rest in order, on one waiter thread.
    this.#q.sends.sendAll(messages.slice(sent)).then(() => callback(), callback);
  }
}
