/**
 * @rxipc/core — Linux IPC for Node.js as typed classes and Node streams.
 *
 * The whole public API, by mechanism:
 */

// Errors and constants
export { abortError, isSystemError, type SystemError } from './errors.js';
export { CANCEL_SIGNAL, constants } from './constants.js';
export type { Payload } from './validate.js';

// Anonymous pipes
export {
  createPipe,
  getPipeCapacity,
  PIPE_BUF_SIZE,
  pipeMaxSize,
  PipeReadable,
  PipeWritable,
  readableFromFd,
  setPipeCapacity,
  writableFromFd,
  type FdStreamOptions,
  type Pipe,
  type PipeOptions,
} from './pipe/pipe.js';

// Named pipes (FIFOs)
export {
  Fifo,
  unlink,
  unlinkAt,
  type FifoCreateOptions,
  type FifoEvents,
  type FifoOpenOptions,
  type FifoReadableOptions,
} from './pipe/fifo.js';

// System V keys and message queues
export { ftok, IPC_PRIVATE } from './sysv/key.js';
export {
  MessageQueue,
  type IpcPerm,
  type Message,
  type MessageQueueEvents,
  type MessageQueueInfo,
  type MessageQueueLimits,
  type MessageQueueOpenOptions,
  type MessageQueueSetOptions,
  type MessageQueueStat,
  type ReceiveOptions,
  type ReceiveSelector,
  type SendOptions,
} from './sysv/message-queue.js';
export {
  MessageReadStream,
  MessageWriteStream,
  type MessageReadStreamOptions,
  type MessageWriteStreamOptions,
} from './streams/message-streams.js';

// Shared memory: System V segments and POSIX objects, with seqlock records for change feeds
export {
  SharedMemory,
  type SharedMemoryFromIdOptions,
  type SharedMemoryInfo,
  type SharedMemoryLimits,
  type SharedMemoryOpenOptions,
  type SharedMemorySetOptions,
  type SharedMemoryStat,
  type SharedMemoryUsage,
} from './sysv/shared-memory.js';
export {
  PosixSharedMemory,
  type PosixSharedMemoryOpenOptions,
  type PosixSharedMemorySetOptions,
  type PosixSharedMemoryStat,
} from './posix/shared-memory.js';
export type { RecordSnapshot, SharedMemoryEvents, WaitForChangeOptions } from './shm/mapping.js';
// System V semaphore sets
export {
  SemaphoreSet,
  type AcquireOptions,
  type OpOptions,
  type ReleaseOptions,
  type SemaphoreInfo,
  type SemaphoreOp,
  type SemaphoreSetEvents,
  type SemaphoreSetInfo,
  type SemaphoreSetLimits,
  type SemaphoreSetOpenOptions,
  type SemaphoreSetPermissions,
  type SemaphoreSetStat,
  type SemWaitOptions,
  type TryAcquireOptions,
} from './sysv/semaphore-set.js';

// POSIX named semaphores
export {
  PosixSemaphore,
  type PosixSemaphoreEvents,
  type PosixSemaphoreOpenOptions,
  type PosixWaitOptions,
} from './posix/semaphore.js';
// Unix sockets: pairs, datagram and seqpacket sockets, descriptor passing, credentials
export {
  createDatagramSocket,
  socketFromFd,
  socketPair,
  StreamSocket,
  type AnySocket,
  type DatagramSocketOptions,
  type SocketPair,
  type SocketPairOptions,
  type SocketType,
} from './socket/socket.js';
export {
  MessageSocket,
  type ReceivedMessage,
  type Credentials,
  type MessageSocketOptions,
  type MessageSocketType,
  type OutgoingMessage,
  type SendOptions as SocketSendOptions,
} from './socket/message-socket.js';
export {
  connectSeqpacket,
  listenSeqpacket,
  type SeqpacketServer,
  type ConnectOptions as SeqpacketConnectOptions,
  type SeqpacketServerEvents,
  type SeqpacketServerOptions,
} from './socket/seqpacket.js';

// Signals
export {
  kill,
  RESERVED_SIGNAL,
  sigqueue,
  signalName,
  signalNumber,
  SIGRTMAX,
  SIGRTMIN,
  watchRealtimeSignal,
  type RealtimeSignal,
  type SignalName,
  type SignalWatch,
} from './signal/signals.js';
