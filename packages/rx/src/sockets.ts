import type { Writable } from 'node:stream';

import { MessageSocket, StreamSocket, type ReceivedMessage } from '@rxipc/core';
import { invalidInstance } from '@rxipc/core/internal';
import type { Observable, OperatorFunction } from 'rxjs';

import { fromReadable } from './from-readable.js';
import { toWritable, type ToWritableOptions } from './to-writable.js';

function validateSocket(value: unknown, name = 'socket'): StreamSocket | MessageSocket {
  if (value instanceof StreamSocket || value instanceof MessageSocket) return value;
  throw invalidInstance(name, 'StreamSocket or MessageSocket', value);
}

/**
 * What a socket reads, as a cold Observable (fromReadable over the socket): Buffers from a
 * stream socket, {@link ReceivedMessage}s from a datagram or seqpacket socket. Unsubscribing
 * destroys the socket (polling stops, then its fd closes). Fds that came with a message are
 * the subscriber's to take (`msg.takeFds()`) inside its `next`; the rest are closed.
 *
 * @example
 * const [a, b] = socketPair({ type: 'seqpacket' });
 * fromSocket(b).subscribe((msg) => console.log(msg.data.toString()));
 */
export function fromSocket(socket: MessageSocket): Observable<ReceivedMessage>;
export function fromSocket(socket: StreamSocket): Observable<Buffer>;
export function fromSocket(socket: StreamSocket | MessageSocket): Observable<Buffer | ReceivedMessage>;
export function fromSocket(socket: StreamSocket | MessageSocket): Observable<Buffer | ReceivedMessage> {
  return fromReadable<Buffer | ReceivedMessage>(validateSocket(socket));
}

/**
 * The datagrams a unix datagram (or seqpacket) socket receives, each with its sender's
 * address (`from`) and credentials. Unsubscribing closes the socket.
 *
 * @example
 * datagrams(createDatagramSocket({ bind: '\0app-log' }))
 *   .subscribe(({ data, from, credentials }) => console.log(credentials?.pid, from, data.toString()));
 */
export function datagrams(socket: MessageSocket): Observable<ReceivedMessage> {
  if (!(socket instanceof MessageSocket)) throw invalidInstance('socket', 'MessageSocket', socket);
  return fromReadable<ReceivedMessage>(socket);
}

/**
 * Writes every value of the source to a socket (toWritable): bytes to a stream socket; one
 * message per value to a datagram or seqpacket socket (a Buffer, a string, or
 * `{ data, fds, to }`), waiting — never dropping — while the kernel's queue is full.
 *
 * @example
 * from(['a', 'b']).pipe(toSocket(a)).subscribe();
 */
export function toSocket<T>(socket: StreamSocket | MessageSocket, options?: ToWritableOptions): OperatorFunction<T, T> {
  return toWritable<T>(validateSocket(socket) as Writable, options);
}
