/**
 * @rxipc/core/internal — argument validation shared with the sibling packages (@rxipc/rx),
 * so every rxipc package speaks with one voice (TypeError / RangeError with Node's ERR_*
 * codes). Not part of the user-facing API: no stability promise beyond this workspace.
 *
 * @example
 * import { validateInteger } from '@rxipc/core/internal';
 * validateInteger(batch, 'options.batch', 1, 65536);
 */
export {
  validateBoolean,
  validateInteger,
  validateObject,
  validateOptions,
} from './validate.js';

// The hooks @rxipc/rx needs of a queue object, kept out of MessageQueue's public type.
export { queueInternals, type QueueInternals, type ValidSelector } from './sysv/message-queue.js';
export type { Consumer, Subscription, SubscriptionOptions } from './sysv/receiver.js';
