/**
 * @rxipc/native — the raw Linux IPC syscalls behind rxipc, loaded with node-gyp-build.
 *
 * ```ts
 * import { native, tasks } from '@rxipc/native';
 * const [r, w] = native.pipe2(native.constants.O_CLOEXEC);
 * ```
 */
export type {
  Dispatch,
  ErrnoTable,
  FileStat,
  IpcPerm,
  Mapped,
  MsgInfo,
  MsqidDs,
  NativeBinding,
  NativeConstants,
  NativeTesting,
  RealtimeSignalInfo,
  RecvBatch,
  SemidDs,
  SemInfo,
  SemOp,
  ShmidDs,
  ShmLimits,
  ShmUsage,
  SystemErrorFields,
} from './binding.js';
export { systemError, type SystemError } from './errors.js';
export { loadBinding, native, nativePath } from './load.js';
export { tasks, type TaskHandler } from './tasks.js';
