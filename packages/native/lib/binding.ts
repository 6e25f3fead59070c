/**
 * The raw addon's shape: the one place it is asserted. Every function validates its
 * arguments (TypeError / RangeError with an `ERR_*` code) before any syscall, and throws a
 * system error (`code`, `errno`, `syscall`, `path`) when the kernel says no.
 *
 * Calls that can wait never do so on the calling thread: the synchronous `msgsnd`/`msgrcv`
 * always carry IPC_NOWAIT, and the waiting forms (`openWait`, `msgrcvStart`, `msgsndStart`)
 * start a task on a waiter thread and return its id. Results come back through the
 * dispatcher installed once at load: `dispatch(id, final, errno, a, b)`.
 */
export interface MsqidDs {
  perm: IpcPerm;
  stime: number;
  rtime: number;
  ctime: number;
  cbytes: number;
  qnum: number;
  qbytes: number;
  lspid: number;
  lrpid: number;
}

export interface IpcPerm {
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  mode: number;
  seq: number;
}

export interface MsgInfo {
  /** msgctl's return value: the highest index in use. */
  index: number;
  msgpool: number;
  msgmap: number;
  msgmax: number;
  msgmnb: number;
  msgmni: number;
  msgssz: number;
  msgtql: number;
  msgseg: number;
}

export type Dispatch = (id: number, final: boolean, errno: number, a?: unknown, b?: unknown) => void;

export interface NativeConstants {
  readonly O_CLOEXEC: number;
  readonly O_NONBLOCK: number;
  readonly O_DIRECT: number;
  readonly O_RDONLY: number;
  readonly O_WRONLY: number;
  readonly O_RDWR: number;
  readonly O_ACCMODE: number;
  readonly PIPE_BUF: number;
  readonly F_GETPIPE_SZ: number;
  readonly F_SETPIPE_SZ: number;
  readonly AT_FDCWD: number;
  readonly AT_REMOVEDIR: number;
  readonly IPC_PRIVATE: number;
  readonly IPC_CREAT: number;
  readonly IPC_EXCL: number;
  readonly IPC_NOWAIT: number;
  readonly IPC_RMID: number;
  readonly IPC_SET: number;
  readonly IPC_STAT: number;
  readonly IPC_INFO: number;
  readonly MSG_INFO: number;
  readonly MSG_STAT: number;
  readonly MSG_STAT_ANY: number;
  readonly MSG_EXCEPT: number;
  readonly MSG_NOERROR: number;
}

export interface NativeBinding {
  readonly constants: NativeConstants;

  // waiter infrastructure
  setDispatcher(dispatch: Dispatch): void;
  cancel(id: number): void;
  setRef(id: number, ref: boolean): void;
  waiterStats(): { threads: number; idle: number };
  setWaiterIdleMs(ms: number): void;
  /** A task that waits until cancelled (tests of the waiter itself). dispatch(id, true, 0). */
  sleepUntilCancelled(): number;
  readonly cancelSignal: number;

  /**
   * Installs the builder of every system error the addon throws (lib/errors.ts
   * `systemError`); the loader does this once per environment, right after loading.
   */
  setErrorFactory(factory: (errno: number, syscall: string, path?: string) => Error): void;
  /** The errno table the factory names errors from: index = errno, [name, strerror text]. */
  readonly errnos: ErrnoTable;
  /** The error the addon would throw for `errno` in `syscall` (tests of the C++ path). */
  makeSystemError(errno: number, syscall: string, path?: string): Error & SystemErrorFields;

  // pipes
  pipe2(flags: number): [number, number];
  getPipeSize(fd: number): number;
  setPipeSize(fd: number, size: number): number;
  setNonBlocking(fd: number, nonBlocking: boolean): boolean;
  getFileFlags(fd: number): number;

  // FIFOs and names
  mkfifo(path: string, mode: number): void;
  mkfifoat(dirfd: number, path: string, mode: number): void;
  unlink(path: string): void;
  unlinkat(dirfd: number, path: string, flags: number): void;
  openNonBlocking(path: string, flags: number): number;
  /** Blocking open on a waiter thread. dispatch(id, true, errno, fd). */
  openWait(path: string, flags: number): number;

  // System V message queues
  ftok(path: string, projId: number): number;
  msgget(key: number, flags: number): number;
  /** IPC_NOWAIT send: false when the queue is full. */
  msgsnd(msqid: number, type: number, data: ArrayBufferView): boolean;
  /** IPC_NOWAIT sends of packed records; returns how many fit. */
  msgsndRecords(msqid: number, records: ArrayBufferView, count: number): number;
  /** IPC_NOWAIT receive: undefined when no message matches. */
  msgrcv(msqid: number, maxSize: number, type: number, flags: number): { type: number; data: Buffer } | undefined;
  /**
   * Receiver task. dispatch(id, final, errno, records | undefined, count); the final errno
   * is ECANCELED after a cancel (records taken at that moment still come with it).
   */
  msgrcvStart(
    msqid: number,
    maxSize: number,
    type: number,
    flags: number,
    batch: number,
    credit: number,
    once: boolean,
  ): number;
  msgrcvCredit(id: number, credit: number): void;
  /** Waiting send task. dispatch(id, true, errno, result): errno ECANCELED after a cancel that won. */
  msgsndStart(msqid: number, type: number, data: ArrayBufferView): number;
  /**
   * Puts packed records back into a queue, waiting for room on a waiter thread (never
   * dropping them while the queue exists). dispatch(id, true, errno, sent, failed). A cancel
   * only stops JS's wait: the rest goes back in the background.
   */
  msgPutBackStart(msqid: number, records: ArrayBufferView, count: number): number;
  /**
   * Mirrors the records JS holds for put-back into `msqid` (count 0 clears), so that a
   * terminated worker or an exiting process still returns them.
   */
  msgBacklog(msqid: number, records: ArrayBufferView, count: number): void;
  /**
   * The process is exiting (main thread, 'exit' event): ends every wait of this environment
   * and puts back every message held outside the kernel, trying for room for `deadlineMs`.
   */
  prepareExit(deadlineMs: number): { put: number; lost: number };
  /** Messages waiting in the background put-back, process-wide. */
  putBacksPending(): number;
  msgctlStat(msqid: number): MsqidDs;
  msgctlSet(msqid: number, fields: { uid?: number; gid?: number; mode?: number; qbytes?: number }): void;
  msgctlRemove(msqid: number): void;
  msgctlInfo(cmd: number): MsgInfo;
  msgctlStatIndex(index: number, any: boolean): MsqidDs & { id: number };
}

/** Index = errno (1..255): [name, description], or a hole for a number Linux never assigned. */
export type ErrnoTable = ReadonlyArray<readonly [name: string, description: string] | undefined>;

export interface SystemErrorFields {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}
