/**
 * @rxipc/core/internal — the error builders and argument validation shared with the sibling
 * packages (@rxipc/rx), so every rxipc package speaks with one voice: misuse is a TypeError /
 * RangeError with Node's ERR_* codes, kernel failures are system errors with Node's face, and
 * both are built here (system errors by @rxipc/native's factory). Not part of the user-facing
 * API: no stability promise beyond this workspace.
 *
 * @example
 * import { validateInteger } from '@rxipc/core/internal';
 * validateInteger(batch, 'options.batch', 1, 65536);
 */
export {
  alreadySubscribed,
  closedError,
  encodeError,
  invalidArgType,
  invalidArgValue,
  invalidArgValueRange,
  invalidInstance,
  outOfRange,
  prematureClose,
  streamDestroyed,
  systemError,
  withCode,
} from './errors.js';
export {
  MAX_SAFE_INTEGER,
  validateAbortSignal,
  validateBoolean,
  validateFunction,
  validateInstance,
  validateInteger,
  validateObject,
  validateOptions,
  validatePath,
  validateReadable,
  validateString,
  validateTimeout,
  validateWritable,
} from './validate.js';

// The hooks @rxipc/rx needs of a queue object, kept out of MessageQueue's public type.
export { queueInternals, type QueueInternals, type ValidSelector } from './sysv/message-queue.js';
export type { Consumer, Subscription, SubscriptionOptions } from './sysv/receiver.js';

// The base of SharedMemory and PosixSharedMemory (for @rxipc/rx's instance checks).
export { SharedMapping } from './shm/mapping.js';
export { forceFallbackSlabsForTests } from './pipe/read-slabs.js';
export { realtimeSignalNumber, signalName, signalNumberOf } from './signal/signals.js';
