import { MessageQueue, type Message, type Payload, type SendOptions } from '@rxipc/core';
import {
  encodeError,
  invalidArgValue,
  invalidArgValueRange,
  MAX_SAFE_INTEGER,
  validateInstance,
  validateInteger,
  validateObject,
  validateOptions,
} from '@rxipc/core/internal';
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
    // Built by rxipc from a received message; never throws, whatever it is given.
    super(`cannot decode a '${text(kind)}' message (type ${text(received?.type)}, ${text(received?.data?.length)} bytes)`, { cause });
  }
}

/** A value as message text, for any value (a null-prototype object, a detached view). */
function text(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
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
 * everything after that is checked at compile time. Misuse fails where DESIGN.md's rule says:
 * `typedQueue`, `trySend`, `messages` and `sendAll` throw at the call; `send` rejects. An
 * unknown kind is a RangeError `ERR_INVALID_ARG_VALUE`; a value the codec cannot encode is
 * a TypeError `ERR_RXIPC_ENCODE` with the codec's error as `cause`.
 *
 * @example
 * type Order = { id: number; item: string };
 * const typed = typedQueue(q, { order: { type: 1, codec: json<Order>() }, cancel: { type: 2, codec: utf8() } });
 * typed.messages('order').subscribe((o) => console.log(o.item)); // o: Order
 * await typed.send('order', { id: 1, item: 'tea' });
 */
export function typedQueue<const S extends Schema>(queue: MessageQueue, schema: S): TypedQueue<S> {
  validateInstance(queue, MessageQueue, 'queue');
  validateObject(schema, 'schema');
  const decodeErrors = new Subject<DecodeError>();
  const types = new Map<number, string>();
  for (const [name, kind] of Object.entries(schema)) {
    const entry = kind as Partial<MessageKind<unknown>> | null;
    if (entry === null || typeof entry !== 'object' || typeof entry.codec?.encode !== 'function' || typeof entry.codec?.decode !== 'function') {
      throw invalidArgValue(`schema.${name}`, 'must be { type, codec: { encode, decode } }', entry);
    }
    const type = validateInteger(entry.type, `schema.${name}.type`, 1, MAX_SAFE_INTEGER);
    const other = types.get(type);
    if (other !== undefined) throw invalidArgValueRange(`schema.${name}.type`, `is already the type of '${other}'`, type);
    types.set(type, name);
  }
  const kindOf = <K extends keyof S & string>(name: K): MessageKind<ValueOf<S, K>> => {
    // Own entries only: 'toString' or '__proto__' name no kind.
    if (typeof name !== 'string' || !Object.hasOwn(schema, name)) {
      throw invalidArgValueRange('kind', `must be one of ${[...types.values()].map((n) => `'${n}'`).join(', ') || '(none)'}`, name);
    }
    return schema[name] as MessageKind<ValueOf<S, K>>;
  };
  const encode = <K extends keyof S & string>(name: K, kind: MessageKind<ValueOf<S, K>>, value: ValueOf<S, K>): Payload => {
    try {
      return kind.codec.encode(value);
    } catch (cause) {
      throw encodeError(name, cause);
    }
  };
  return {
    queue,
    schema,
    decodeErrors: decodeErrors.asObservable(),
    messages(name, options) {
      const kind = kindOf(name);
      const raw = messages(queue, { ...validateOptions(options), type: kind.type, except: false }); // validates now
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
      // A promise-returning call: every failure is a rejection, never a throw.
      try {
        const kind = kindOf(name);
        return queue.send(kind.type, encode(name, kind, value), options);
      } catch (err) {
        return Promise.reject(err as Error);
      }
    },
    trySend(name, value) {
      const kind = kindOf(name);
      return queue.trySend(kind.type, encode(name, kind, value));
    },
    sendAll(name) {
      const kind = kindOf(name);
      return sendEach(queue, kind.type, (value: ValueOf<S, typeof name>) => encode(name, kind, value));
    },
  };
}
