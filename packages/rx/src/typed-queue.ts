import type { Message, MessageQueue, SendOptions } from '@rxipc/core';
import { queueInternals } from '@rxipc/core/internal';
import { Observable, Subject } from 'rxjs';

import type { Codec } from './codecs.js';
import { messages, type MessagesOptions } from './messages.js';
import { sendEach } from './send-to.js';

/**
 * A message kind: its System V type and how its payload is encoded.
 *
 * @example
 * const order: MessageKind<{ id: number }> = { type: 1, codec: json() };
 */
export interface MessageKind<T> {
  type: number;
  codec: Codec<T>;
}

/**
 * Names mapped to message kinds; each kind has its own type.
 *
 * @example
 * const schema = { order: { type: 1, codec: json<Order>() }, note: { type: 2, codec: utf8() } } satisfies Schema;
 */
export type Schema = Record<string, MessageKind<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The value type of a schema entry.
 *
 * @example
 * type Note = ValueOf<typeof schema, 'note'>; // string
 */
export type ValueOf<S extends Schema, K extends keyof S> = S[K] extends MessageKind<infer T> ? T : never;

/**
 * A message whose payload its codec could not decode: `kind` names the schema entry,
 * `received` is the message as it came (consumed: it is no longer in the queue), and
 * `cause` is what the codec threw. Reported on `TypedQueue.decodeErrors`.
 *
 * @example
 * typed.decodeErrors.subscribe((e) => console.warn(e.kind, e.received.data, e.cause));
 */
export class DecodeError extends Error {
  readonly code = 'ERR_RXIPC_DECODE';
  constructor(
    readonly kind: string,
    readonly received: Message,
    cause: unknown,
  ) {
    super(`cannot decode a '${kind}' message (type ${received.type}, ${received.data.length} bytes)`, { cause });
  }
}

/**
 * What `typedQueue` returns: the queue's sends and receives, typed by the schema.
 *
 * @example
 * const typed: TypedQueue<typeof schema> = typedQueue(q, schema);
 * typed.messages('note').subscribe((text) => console.log(text));
 */
export interface TypedQueue<S extends Schema> {
  readonly queue: MessageQueue;
  readonly schema: S;
  /** The decoded messages of one kind (kernel-filtered by its type). Undecodable messages go to `decodeErrors`. */
  messages<K extends keyof S & string>(kind: K, options?: Omit<MessagesOptions, 'type' | 'except'>): Observable<ValueOf<S, K>>;
  /** Encodes and sends one value; waits if the queue is full. */
  send<K extends keyof S & string>(kind: K, value: ValueOf<S, K>, options?: SendOptions): Promise<void>;
  /** Encodes and sends without waiting: false if the queue is full. */
  trySend<K extends keyof S & string>(kind: K, value: ValueOf<S, K>): boolean;
  /**
   * An operator sending each value as `kind`, in order, re-emitting it once it is in the
   * queue; values wait in memory while the queue is full (as with `sendTo`).
   */
  sendAll<K extends keyof S & string>(kind: K): (source: Observable<ValueOf<S, K>>) => Observable<ValueOf<S, K>>;
  /**
   * Every message that failed to decode, from any subscription. A decode failure never
   * errors or ends the subscription it happened in: the message is skipped there and
   * reported here.
   */
  readonly decodeErrors: Observable<DecodeError>;
}

/**
 * Typed messages over a System V queue: a schema maps names to `{ type, codec }`, and
 * everything after that is checked at compile time.
 *
 * @example
 * type Order = { id: number; item: string };
 * const typed = typedQueue(q, { order: { type: 1, codec: json<Order>() }, cancel: { type: 2, codec: utf8() } });
 * typed.messages('order').subscribe((o) => console.log(o.item)); // o: Order
 * await typed.send('order', { id: 1, item: 'tea' });
 */
export function typedQueue<const S extends Schema>(queue: MessageQueue, schema: S): TypedQueue<S> {
  const decodeErrors = new Subject<DecodeError>();
  const types = new Set<number>();
  for (const [name, kind] of Object.entries(schema)) {
    if (kind === null || typeof kind !== 'object' || typeof kind.codec?.encode !== 'function' || typeof kind.codec?.decode !== 'function') {
      throw new TypeError(`typedQueue: schema entry '${name}' must be { type, codec: { encode, decode } }`);
    }
    queueInternals(queue).payload(kind.type, ''); // a valid message type (integer 1..2^53-1)
    if (types.has(kind.type)) throw new RangeError(`typedQueue: type ${kind.type} is used twice in the schema`);
    types.add(kind.type);
  }
  const kindOf = <K extends keyof S & string>(name: K): MessageKind<ValueOf<S, K>> => {
    const kind = schema[name];
    if (!kind) throw new RangeError(`typedQueue: unknown message kind '${name}'`);
    return kind as MessageKind<ValueOf<S, K>>;
  };
  return {
    queue,
    schema,
    decodeErrors: decodeErrors.asObservable(),
    messages(name, options) {
      const kind = kindOf(name);
      const raw = messages(queue, { ...options, type: kind.type, except: false }); // validates now
      return new Observable((subscriber) =>
        raw.subscribe({
          next: (m) => {
            let value: ValueOf<S, typeof name>;
            try {
              value = kind.codec.decode(m.data);
            } catch (cause) {
              decodeErrors.next(new DecodeError(name, m, cause));
              return;
            }
            subscriber.next(value);
          },
          error: (err) => subscriber.error(err),
          complete: () => subscriber.complete(),
        }),
      );
    },
    send(name, value, options) {
      const kind = kindOf(name);
      return queue.send(kind.type, kind.codec.encode(value), options);
    },
    trySend(name, value) {
      const kind = kindOf(name);
      return queue.trySend(kind.type, kind.codec.encode(value));
    },
    sendAll(name) {
      const kind = kindOf(name);
      return sendEach(queue, kind.type, (value: ValueOf<S, typeof name>) => kind.codec.encode(value));
    },
  };
}
