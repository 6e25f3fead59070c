/**
 * @rxipc/rx — RxJS Observables over Linux IPC. Cold, lazy, and torn down completely on
 * unsubscribe. The whole public API:
 */
export { fromReadable } from './from-readable.js';
export { fromFifo } from './fifo.js';
export { toWritable, type ToWritableOptions } from './to-writable.js';
export { messages, type MessagesOptions } from './messages.js';
export { sendTo, type SendToOptions } from './send-to.js';
export { typedQueue, DecodeError, type MessageKind, type Schema, type TypedQueue, type ValueOf } from './typed-queue.js';
export { bytes, json, utf8, type Codec } from './codecs.js';
export { shmChanges, type ShmChangesOptions } from './shm-changes.js';
export { withSemaphore, type WithSemaphoreOptions } from './with-semaphore.js';
export { datagrams, fromSocket, toSocket } from './sockets.js';
export { signals, type SignalEvent } from './signals.js';
