/**
 * The raw addon's shape: the one place it is asserted. Every function validates its
 * arguments (TypeError / RangeError with an `ERR_*` code) before any syscall, and throws a
 * system error (`code`, `errno`, `syscall`, `path`) when the kernel says no.
 *
 * Calls that can wait never do so on the calling thread: the synchronous `msgsnd`/`msgrcv`
 * always carry IPC_NOWAIT, and the waiting forms (`openWait`, `msgrcvStart`, `msgsndStart`,
 * `semopStart`, `semWaitStart`, `futexWait`)
 * start a task on a waiter thread and return its id. Results come back through the
 * dispatcher installed once at load: `dispatch(id, final, errno, a, b)`.
 *
 * **Handles.** A mapping of shared memory (`shmat`, `mmap`) and an open POSIX named semaphore
 * reach JS as a handle: a number naming an entry in this environment's (main thread's or
 * worker's) table, never a pointer. A handle that was never handed out, names the other kind
 * of object, or was already detached / closed fails like a closed fd: a system error with
 * code `EBADF`. Handles are not reused while the addon is loaded.
 *
 * **Mappings.** A writable mapping comes with `buffer`, an external ArrayBuffer over the
 * shared memory itself (Atomics on an Int32Array over it are atomic across processes).
 * `shmdt` / `munmap` first detach that ArrayBuffer, so every view of it has length 0 (reads
 * give undefined, writes are ignored: never a crash), then cancel and await the futex waits
 * on the mapping, then unmap. A mapping whose ArrayBuffer is garbage-collected without a
 * detach is unmapped by its finalizer (after any wait on it ended); GC never removes a
 * segment or an object. Node copies (never transfers) these ArrayBuffers in postMessage and
 * structuredClone, so the memory never moves to another thread's heap. A writable mapping
 * larger than the largest ArrayBuffer (`buffer.constants.MAX_LENGTH`) fails with ENOMEM:
 * map a window of it with `mmap`'s offset, or attach it read-only.
 *
 * **Read-only mappings** (`SHM_RDONLY`, or `mmap` with `PROT_READ` only) have
 * `buffer: undefined`: V8 has no read-only ArrayBuffer, and a JS write to read-only memory
 * would kill the process with SIGSEGV. Read them with `mappingRead` (a bounds-checked copy)
 * and `mappingLoad32` (an atomic load); futex wait / wake work on them as well. A read-only
 * mapping has no finalizer: it lives until `shmdt` / `munmap` or until the environment ends.
 *
 * **What the kernel can still do to a mapping.** Shrinking a POSIX shm object (`ftruncate`,
 * from any process) below a mapped range makes access past its new end raise SIGBUS, as does
 * a write to a page that tmpfs has no room for (`/dev/shm` full), and so does touching a
 * huge-page segment that another program created with SHM_NORESERVE when no huge page is
 * free (`shmget` here refuses that combination). `mmap` refuses ranges past
 * the object's size at the time of the call; keeping the object at least that large is the
 * caller's part.
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

export interface ShmidDs {
  /** perm.mode carries SHM_DEST (removed, still attached) and SHM_LOCKED above the permission bits. */
  perm: IpcPerm;
  segsz: number;
  atime: number;
  dtime: number;
  ctime: number;
  cpid: number;
  lpid: number;
  nattch: number;
}

/** shmctl(IPC_INFO): the system's limits. Values above 2^53 (shmmax, shmall) are approximate. */
export interface ShmLimits {
  index: number;
  shmmax: number;
  shmmin: number;
  shmmni: number;
  shmseg: number;
  shmall: number;
}

/** shmctl(SHM_INFO): the system's usage (shm_info). */
export interface ShmUsage {
  index: number;
  usedIds: number;
  shmTot: number;
  shmRss: number;
  shmSwp: number;
  swapAttempts: number;
  swapSuccesses: number;
}

export interface SemidDs {
  perm: IpcPerm;
  otime: number;
  ctime: number;
  nsems: number;
}

/** semctl(IPC_INFO) limits, or semctl(SEM_INFO) usage (then semusz counts sets, semaem semaphores). */
export interface SemInfo {
  index: number;
  semmap: number;
  semmni: number;
  semmns: number;
  semmnu: number;
  semmsl: number;
  semopm: number;
  semume: number;
  semusz: number;
  semvmx: number;
  semaem: number;
}

/** One struct sembuf: semaphore number, operation (-32768..32767), flags (IPC_NOWAIT, SEM_UNDO). */
export interface SemOp {
  num: number;
  op: number;
  flags: number;
}

/** A mapping of shared memory, as shmat and mmap return it. */
export interface Mapped {
  /** Names the mapping in mappingRead/Write/Load32, futexWait/Wake, shmdt/munmap. */
  handle: number;
  length: number;
  writable: boolean;
  /** The memory itself when writable; undefined for a read-only mapping (see above). */
  buffer: ArrayBuffer | undefined;
}

export interface FileStat {
  size: number;
  /** st_mode, with the file type bits. */
  mode: number;
  uid: number;
  gid: number;
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
  /** Bytes of one read slab (`readSlab`). */
  readonly READ_SLAB_SIZE: number;
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
  readonly SHM_RDONLY: number;
  readonly SHM_RND: number;
  readonly SHM_REMAP: number;
  readonly SHM_EXEC: number;
  readonly SHM_HUGETLB: number;
  readonly SHM_HUGE_2MB: number;
  readonly SHM_HUGE_1GB: number;
  readonly SHM_NORESERVE: number;
  readonly SHM_LOCK: number;
  readonly SHM_UNLOCK: number;
  readonly SHM_INFO: number;
  readonly SHM_STAT: number;
  readonly SHM_STAT_ANY: number;
  readonly SHM_DEST: number;
  readonly SHM_LOCKED: number;
  readonly O_CREAT: number;
  readonly O_EXCL: number;
  readonly O_TRUNC: number;
  readonly PROT_READ: number;
  readonly PROT_WRITE: number;
  readonly SEM_UNDO: number;
  readonly GETVAL: number;
  readonly SETVAL: number;
  readonly GETALL: number;
  readonly SETALL: number;
  readonly GETPID: number;
  readonly GETNCNT: number;
  readonly GETZCNT: number;
  readonly SEM_INFO: number;
  readonly SEM_STAT: number;
  readonly SEM_STAT_ANY: number;
  /** 32767: the largest value of a System V semaphore. */
  readonly SEMVMX: number;
  readonly SEM_VALUE_MAX: number;
  // unix sockets (socket.cc) and signals (signal.cc)
  readonly AF_UNIX: number;
  readonly SOCK_STREAM: number;
  readonly SOCK_DGRAM: number;
  readonly SOCK_SEQPACKET: number;
  readonly SOCK_CLOEXEC: number;
  readonly SOCK_NONBLOCK: number;
  readonly MSG_TRUNC: number;
  readonly MSG_CTRUNC: number;
  readonly SHUT_RD: number;
  readonly SHUT_WR: number;
  readonly SHUT_RDWR: number;
  readonly SCM_MAX_FD: number;
  /** Numbers per message in recvmsg's `meta`. */
  readonly RECV_META_FIELDS: number;
  readonly UV_READABLE: number;
  readonly UV_WRITABLE: number;
  readonly UV_DISCONNECT: number;
  readonly SIGRTMIN: number;
  readonly SIGRTMAX: number;
  /** SIGRTMIN+5: the waiter threads' cancel signal, refused by signalWatch. */
  readonly RXIPC_CANCEL_SIGNAL: number;
}

/** `native.testing`: what tests of the addon's own machinery observe and steer. */
export interface NativeTesting {
  /** Threads alive in the process-wide waiter pool, and how many are idle. */
  waiterStats(): { threads: number; idle: number };
  /** How long an idle waiter thread stays for reuse (default 2000 ms). */
  setWaiterIdleMs(ms: number): void;
  /** A task that waits until cancelled. dispatch(id, true, 0). */
  sleepUntilCancelled(): number;
  /** The real-time signal that interrupts a waiting syscall (SIGRTMIN+5). */
  readonly cancelSignal: number;
  /** The error the addon would throw for `errno` in `syscall` (the C++ path). */
  makeSystemError(errno: number, syscall: string, path?: string): Error & SystemErrorFields;
  /** Messages waiting in the background put-back, process-wide. */
  putBacksPending(): number;
  /**
   * This environment's read slabs: `live` may still be reached from JS, `free` are kept for
   * reuse, `reused` counts the slabs ever handed out from the free list.
   */
  readSlabStats(): { live: number; free: number; reused: number };
}

export interface NativeBinding {
  readonly constants: NativeConstants;

  // waiter infrastructure
  setDispatcher(dispatch: Dispatch): void;
  cancel(id: number): void;
  setRef(id: number, ref: boolean): void;
  /** Hooks for tests of the infrastructure itself: not calls, not for applications. */
  readonly testing: NativeTesting;

  /**
   * Installs the builder of every system error the addon throws (lib/errors.ts
   * `systemError`); the loader does this once per environment, right after loading.
   */
  setErrorFactory(factory: (errno: number, syscall: string, path?: string) => Error): void;
  /** The errno table the factory names errors from: index = errno, [name, strerror text]. */
  readonly errnos: ErrnoTable;

  // pipes
  pipe2(flags: number): [number, number];
  getPipeSize(fd: number): number;
  setPipeSize(fd: number, size: number): number;
  setNonBlocking(fd: number, nonBlocking: boolean): boolean;
  getFileFlags(fd: number): number;
  /**
   * A read slab: an external ArrayBuffer of READ_SLAB_SIZE bytes over a private anonymous
   * mapping, from this environment's free list when it has one (old bytes, not cleared), else
   * newly mapped (ENOMEM from mmap is a system error). Once V8 has freed it (no view left
   * anywhere; Node does not transfer it), its memory returns to the free list, or is unmapped
   * when the list already holds the `readSlabRetain` limit.
   */
  readSlab(): ArrayBuffer;
  /** How many bytes of freed slabs the free list keeps (default 0); the excess is unmapped now. */
  readSlabRetain(bytes: number): void;
  /** Unmaps kept slabs beyond `keepBytes` now, oldest first; the limit stays. */
  readSlabRelease(keepBytes: number): void;

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
  /** msgrcv with MSG_COPY | IPC_NOWAIT: a copy of the message at `index` (0 = oldest), left in the queue; undefined past the end. ENOSYS without CONFIG_CHECKPOINT_RESTORE. */
  msgrcvCopy(msqid: number, index: number, maxSize: number): { type: number; data: Buffer } | undefined;
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
    /** Before each blocking receive, poll with IPC_NOWAIT for up to this many µs (0..10000). */
    spinUs: number,
  ): number;
  msgrcvCredit(id: number, credit: number): void;
  /** Waiting send task. dispatch(id, true, errno, result): errno ECANCELED after a cancel that won. */
  msgsndStart(msqid: number, type: number, data: ArrayBufferView): number;
  /**
   * Waiting sends of packed records, in order, on one waiter thread (blocking msgsnd each).
   * dispatch(id, true, errno, sent): errno 0 when all went; at the first failure or a cancel
   * (ECANCELED) it stops, and `sent` says how many are in the queue.
   */
  msgsndRecordsStart(msqid: number, records: ArrayBufferView, count: number): number;
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
  msgctlStat(msqid: number): MsqidDs;
  msgctlSet(msqid: number, fields: { uid?: number; gid?: number; mode?: number; qbytes?: number }): void;
  msgctlRemove(msqid: number): void;
  msgctlInfo(cmd: number): MsgInfo;
  msgctlStatIndex(index: number, any: boolean): MsqidDs & { id: number };

  // System V shared memory
  /**
   * flags: IPC_CREAT, IPC_EXCL, permission bits, SHM_HUGETLB (+ SHM_HUGE_2MB | SHM_HUGE_1GB),
   * SHM_NORESERVE. SHM_HUGETLB with SHM_NORESERVE is a RangeError: such a segment is created
   * even when no huge page exists, and touching it is then a SIGBUS.
   */
  shmget(key: number, size: number, flags: number): number;
  /**
   * Attaches at an address the kernel picks (JS never chooses one, so SHM_RND is a no-op and
   * SHM_REMAP fails with EINVAL). flags: SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC.
   */
  shmat(shmid: number, flags: number): Mapped;
  /** Detaches the ArrayBuffer, ends futex waits on the mapping, then shmdt. EINVAL for an mmap handle. */
  shmdt(mapping: number): void;
  shmctlStat(shmid: number): ShmidDs;
  shmctlSet(shmid: number, fields: { uid?: number; gid?: number; mode?: number }): void;
  shmctlRemove(shmid: number): void;
  /** SHM_LOCK (true) / SHM_UNLOCK (false). */
  shmctlLock(shmid: number, lock: boolean): void;
  shmctlInfo(cmd: number): ShmLimits | ShmUsage;
  shmctlStatIndex(index: number, any: boolean): ShmidDs & { id: number };

  // POSIX shared memory
  /** flags: O_RDONLY or O_RDWR, with O_CREAT, O_EXCL, O_TRUNC; O_CLOEXEC is always added. */
  shmOpen(name: string, flags: number, mode: number): number;
  shmUnlink(name: string): void;
  ftruncate(fd: number, length: number): void;
  fstat(fd: number): FileStat;
  /**
   * MAP_SHARED mapping of `fd`. prot: PROT_READ or PROT_READ | PROT_WRITE. For a regular file
   * offset + length must be within its size (RangeError otherwise); offset page-aligned (EINVAL).
   */
  mmap(fd: number, length: number, prot: number, offset: number): Mapped;
  /** Detaches the ArrayBuffer, ends futex waits on the mapping, then munmap. EINVAL for an shmat handle. */
  munmap(mapping: number): void;

  // mappings (either kind)
  /** A copy of up to `length` bytes at `offset`, clamped to the mapping's end. */
  mappingRead(mapping: number, offset: number, length: number): Buffer;
  /** Copies all of `data` to `offset` (RangeError if it does not fit); EACCES on a read-only mapping. */
  mappingWrite(mapping: number, offset: number, data: ArrayBufferView): void;
  /** Atomic (acquire) load of the uint32 at `offset` (a multiple of 4). */
  mappingLoad32(mapping: number, offset: number): number;
  /**
   * FUTEX_WAIT (shared, not private) on the 32-bit word at `offset` (a multiple of 4) while it
   * equals `expected` (int32 or uint32 spelling). dispatch(id, true, errno): 0 woken (or
   * spuriously), EAGAIN the word differed, ETIMEDOUT, ECANCELED (cancel, or shmdt / munmap).
   */
  futexWait(mapping: number, offset: number, expected: number, timeoutMs?: number): number;
  /** FUTEX_WAKE of up to `count` waiters on the word at `offset`; returns how many woke. */
  futexWake(mapping: number, offset: number, count: number): number;

  // System V semaphores
  semget(key: number, nsems: number, flags: number): number;
  /** Applies `ops` atomically with IPC_NOWAIT on each: false when it would wait. */
  semop(semid: number, ops: readonly SemOp[]): boolean;
  /**
   * Waiting semop (semtimedop when timeoutMs is given; the deadline survives EINTR retries).
   * dispatch(id, true, errno): 0 applied (also when it happened as a cancel arrived: undo it),
   * ETIMEDOUT, ECANCELED, EIDRM (set removed), EAGAIN (an op with IPC_NOWAIT).
   */
  semopStart(semid: number, ops: readonly SemOp[], timeoutMs?: number): number;
  /** cmd: GETVAL, GETPID, GETNCNT or GETZCNT. */
  semctlGet(semid: number, semnum: number, cmd: number): number;
  /** SETVAL; value 0..SEMVMX. */
  semctlSetVal(semid: number, semnum: number, value: number): void;
  semctlGetAll(semid: number): number[];
  /** SETALL; one value (0..SEMVMX) per semaphore of the set (RangeError otherwise). */
  semctlSetAll(semid: number, values: readonly number[]): void;
  semctlStat(semid: number): SemidDs;
  semctlSet(semid: number, fields: { uid?: number; gid?: number; mode?: number }): void;
  semctlRemove(semid: number): void;
  /** cmd: IPC_INFO or SEM_INFO. */
  semctlInfo(cmd: number): SemInfo;
  semctlStatIndex(index: number, any: boolean): SemidDs & { id: number };

  // POSIX named semaphores (handles)
  /** flags: 0, O_CREAT or O_CREAT | O_EXCL; value 0..SEM_VALUE_MAX. Returns a handle. */
  semOpen(name: string, flags: number, mode: number, value: number): number;
  semPost(sem: number): void;
  /** false when the value is 0. */
  semTrywait(sem: number): boolean;
  /**
   * sem_wait (sem_clockwait on CLOCK_MONOTONIC when timeoutMs is given) on a waiter thread.
   * dispatch(id, true, errno): 0 taken (also as a cancel arrived: post it back), ETIMEDOUT,
   * ECANCELED (cancel, or semClose).
   */
  semWaitStart(sem: number, timeoutMs?: number): number;
  semGetvalue(sem: number): number;
  semUnlink(name: string): void;
  /** Ends the waits on it, then sem_close; the handle is dead at once. */
  semClose(sem: number): void;
  // unix sockets (AF_UNIX). Never blocking: MSG_DONTWAIT on every send and receive; readiness
  // comes from the event loop through pollStart/pollSet (uv_poll_t), on the main thread.
  /** type: SOCK_STREAM | SOCK_DGRAM | SOCK_SEQPACKET; flags: SOCK_CLOEXEC | SOCK_NONBLOCK. */
  socketpair(type: number, flags: number): [number, number];
  socket(type: number, flags: number): number;
  /** address: sun_path's bytes: a path (no NUL, <= 107 bytes) or an abstract name (leading 0, <= 108). */
  bind(fd: number, address: ArrayBufferView): void;
  /** true when connected; false when the listener's backlog is full (EAGAIN): try again later. */
  connect(fd: number, address: ArrayBufferView): boolean;
  listen(fd: number, backlog: number): void;
  /** A connection (SOCK_CLOEXEC | SOCK_NONBLOCK), or -1 when none is pending. */
  accept(fd: number): number;
  /** sun_path's bytes; empty for an unnamed socket. */
  getsockname(fd: number): Buffer;
  getpeername(fd: number): Buffer;
  /** SO_TYPE of an AF_UNIX socket (EAFNOSUPPORT for another family, ENOTSOCK for a non-socket). */
  getSocketType(fd: number): number;
  getPeerCred(fd: number): { pid: number; uid: number; gid: number };
  /** SO_ERROR: the pending error (0 for none), cleared by reading it. */
  getSocketError(fd: number): number;
  setPassCred(fd: number, on: boolean): void;
  shutdown(fd: number, how: number): void;
  /** One message; fds as SCM_RIGHTS (<= SCM_MAX_FD). Bytes sent, or -1 when not writable now. */
  sendmsg(fd: number, data: ArrayBufferView, fds?: readonly number[], address?: ArrayBufferView): number;
  /**
   * Up to maxMessages already-queued messages, packed: `data` holds every message's bytes back
   * to back; `meta` RECV_META_FIELDS numbers per message: [offset, length, flags (MSG_TRUNC |
   * MSG_CTRUNC), real size, pid, uid, gid (-1 without credentials), index into `froms` (-1:
   * unnamed sender), index into `fds` (-1: none)]. `eof`: the peer's end (on a socket with
   * SO_PASSCRED, where every message carries credentials). `errno`: an error that ended the
   * batch after some messages (one before any is thrown).
   */
  recvmsg(fd: number, maxMessages: number, maxSize: number): RecvBatch;
  /**
   * Watches fd from the event loop; callback(status, events) once pollSet asks for events.
   * Takes a share of fd's ownership (see ownFd) until pollClose.
   */
  pollStart(fd: number, callback: (status: number, events: number) => void): number;
  /** UV_READABLE | UV_WRITABLE, or 0 to stop watching. EBADF for a closed poll. */
  pollSet(poll: number, events: number): void;
  pollRef(poll: number, ref: boolean): void;
  /** Stops at once and gives back pollStart's share of fd: the fd may be closed right after. Idempotent. */
  pollClose(poll: number): void;
  /**
   * Ownership of a socket fd by this environment (main thread or worker), counted in shares:
   * ownFd and pollStart take one, disownFd and pollClose give it back. When the environment
   * ends with shares left (a worker exits or is terminated with sockets never destroyed), its
   * cleanup stops its polls and closes every fd still owned, once, and only if the fd is
   * still the file it was when owned. So: disown right before closing; never hand an owned
   * fd's number to another environment — give a copy (dup, spawn's stdio, SCM_RIGHTS), or
   * disown it first. EBADF for an fd that is not open.
   */
  ownFd(fd: number): void;
  disownFd(fd: number): void;

  // signals. pid > 0 only: never a process group, never every process.
  kill(pid: number, signal: number): void;
  sigqueue(pid: number, signal: number, value: number): void;
  /** A real-time signal (not RXIPC_CANCEL_SIGNAL) with its siginfo, on the main thread. EBUSY when taken. */
  signalWatch(signal: number, callback: (info: RealtimeSignalInfo) => void): number;
  signalUnwatch(watch: number): void;
  signalRef(ref: boolean): void;
}

export interface RecvBatch {
  data: Buffer;
  meta: Float64Array;
  froms: Buffer[];
  fds: number[][];
  eof: boolean;
  errno: number;
}

export interface RealtimeSignalInfo {
  signo: number;
  /** si_code: SI_QUEUE (-1) for sigqueue, SI_USER (0) for kill. */
  code: number;
  pid: number;
  uid: number;
  /** sigqueue's value (sival_int); 0 for kill. */
  value: number;
}

/** Index = errno (1..255): [name, description], or a hole for a number Linux never assigned. */
export type ErrnoTable = ReadonlyArray<readonly [name: string, description: string] | undefined>;

export interface SystemErrorFields {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}
