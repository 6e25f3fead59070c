// No argument from JavaScript can crash the process: fast-check generates batches of calls
// to every native function with random argument lists (wrong types, NaN, ±Infinity, -0,
// huge numbers, strings with NUL bytes, objects, throwing proxies, arrays, typed arrays
// over detached, shared and shrunk buffers, ...) and a child process runs them. The child
// must answer every batch (no hang), every waiting task it started must end when cancelled,
// every throw must be a misuse error or a system error, and it must never die by a signal.
//
// Safety: see fixtures/fuzz-child.mjs. Numbers that a call could take for a real System V
// id or an fd it changes are drawn only from the child's own ids and fds, or from values
// that can never be valid; paths are relative to the child's own temp dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import { native, nativePath } from '@rxipc/native';

import { makeTempDir, type TempDir } from '../../../../test/support/fs.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/fuzz-child.mjs', import.meta.url));
const C = native.constants;

// ---- argument descriptors (decoded by the child) ----

type Desc = { t: string; [k: string]: unknown };

const numDesc = (x: number): Desc => {
  if (Number.isNaN(x)) return { t: 'nan' };
  if (x === Infinity || x === -Infinity) return { t: 'inf', neg: x < 0 };
  if (Object.is(x, -0)) return { t: 'negzero' };
  return { t: 'num', v: x };
};

const specialNumbers = [NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, -0.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1e308, -1e308, Number.MIN_VALUE, C.AT_FDCWD];

/** Any number at all: for parameters where every value is harmless. */
const anyNumber: fc.Arbitrary<Desc> = fc.oneof(
  fc.integer({ min: -3, max: 70_000 }).map(numDesc),
  fc.double().map(numDesc),
  fc.constantFrom(...specialNumbers).map(numDesc),
  fc.integer().map(numDesc),
);

/** Numbers that are never a valid id or fd: non-integers, negatives, above INT32_MAX. */
const invalidId: fc.Arbitrary<Desc> = fc.oneof(
  fc.double().filter((x) => !Number.isInteger(x)).map(numDesc),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }).map(numDesc),
  fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }).map(numDesc),
  fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -1e308, 0.5).map(numDesc),
);

/** msgget keys: IPC_PRIVATE (always a new queue of our own), or never a valid key. */
const safeKey: fc.Arbitrary<Desc> = fc.oneof(
  fc.constantFrom(0, -0).map(numDesc),
  fc.double().filter((x) => !Number.isInteger(x)).map(numDesc),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -(2 ** 31) - 1 }).map(numDesc),
  fc.integer({ min: 2 ** 32, max: Number.MAX_SAFE_INTEGER }).map(numDesc),
);

const flags = (...values: number[]): fc.Arbitrary<Desc> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.subarray(values).map((vs) => numDesc(vs.reduce((a, b) => a | b, 0))) },
    { weight: 1, arbitrary: anyNumber },
  );

const viewKinds = ['Buffer', 'DataView', 'Uint8Array', 'Int8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];
const view: fc.Arbitrary<Desc> = fc.record({
  t: fc.constant('view'),
  kind: fc.constantFrom(...viewKinds),
  len: fc.oneof({ weight: 6, arbitrary: fc.nat(64) }, { weight: 1, arbitrary: fc.integer({ min: 4000, max: 70_000 }) }),
  offset: fc.nat(3),
  fill: fc.nat(255),
  backing: fc.constantFrom('plain', 'plain', 'detached', 'shared', 'resizable'),
});

const records: fc.Arbitrary<Desc> = fc.record({
  t: fc.constant('records'),
  items: fc.array(
    fc.nat(40).chain((len) =>
      fc.record({
        len: fc.constant(len),
        claimed: fc.oneof({ weight: 4, arbitrary: fc.constant(len) }, { weight: 1, arbitrary: fc.nat({ max: 2 ** 32 - 1 }) }),
        type: fc.oneof(fc.integer({ min: 1, max: 5 }).map(numDesc), anyNumber),
      }),
    ),
    { maxLength: 6 },
  ),
  cut: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(24) }),
});

/** Relative names inside the child's cwd (never '..', never absolute). */
const relPath: fc.Arbitrary<Desc> = fc
  .oneof(
    { weight: 4, arbitrary: fc.constantFrom('a', 'b', 'f', 'sub', 'sub/a', 'sub/b', '.') },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }).map((s) => s.replace(/\//g, '_').replace(/^\.\.$/, '_..') || 'e') },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }).map((s) => `${s.replace(/\//g, '_')}\0x`) },
    { weight: 1, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 5000 }).map((n) => 'x'.repeat(n)) },
  )
  .map((v) => ({ t: 'str', v }));

const scalarJunk: fc.Arbitrary<Desc> = fc.oneof(
  fc.string({ maxLength: 8 }).map((v) => ({ t: 'str', v })),
  fc.bigInt().map((v) => ({ t: 'big', v: String(v) })),
  fc.boolean().map((v) => ({ t: 'bool', v })),
  fc.constantFrom<Desc>({ t: 'undef' }, { t: 'null' }, { t: 'sym' }, { t: 'fn' }, { t: 'getter' }),
  fc.record({ t: fc.constant('ab'), len: fc.nat(16), shared: fc.boolean() }),
  view,
);

/** Anything that is not a number (numbers are where the danger is; they have their own arbitraries). */
const junk: fc.Arbitrary<Desc> = fc.oneof(
  { weight: 4, arbitrary: scalarJunk },
  { weight: 1, arbitrary: fc.array(fc.oneof(scalarJunk, anyNumber), { maxLength: 3 }).map((items) => ({ t: 'arr', items })) },
  {
    weight: 1,
    arbitrary: fc
      .dictionary(fc.constantFrom('uid', 'gid', 'mode', 'qbytes', 'length', '0'), fc.oneof(anyNumber, scalarJunk), { maxKeys: 3 })
      .map((fields) => ({ t: 'obj', fields })),
  },
);

const anything = fc.oneof({ weight: 2, arbitrary: anyNumber }, { weight: 1, arbitrary: junk });
const own = (what: string) => fc.nat(7).map((i) => ({ t: what, i }));

/** Mostly a plausible integer in [min, max] (to get past validation into the syscall), sometimes anything. */
const int = (min: number, max: number): fc.Arbitrary<Desc> =>
  fc.oneof({ weight: 6, arbitrary: fc.integer({ min, max }).map(numDesc) }, { weight: 1, arbitrary: anything });

const P = {
  any: anything,
  bool: fc.oneof({ weight: 6, arbitrary: fc.boolean().map((v) => ({ t: 'bool', v })) }, { weight: 1, arbitrary: anything }),
  path: fc.oneof({ weight: 6, arbitrary: relPath }, { weight: 1, arbitrary: anything }),
  task: fc.oneof({ weight: 6, arbitrary: own('ownTask') }, { weight: 1, arbitrary: anything }),
  credit: fc.oneof(
    { weight: 3, arbitrary: fc.nat(10).map(numDesc) },
    { weight: 1, arbitrary: fc.constant(numDesc(Infinity)) },
    { weight: 1, arbitrary: anything },
  ),
  // A System V id: our own, or never valid.
  qid: fc.oneof({ weight: 8, arbitrary: own('ownQid') }, { weight: 1, arbitrary: invalidId }, { weight: 1, arbitrary: junk }),
  key: fc.oneof({ weight: 6, arbitrary: safeKey }, { weight: 1, arbitrary: junk }),
  // An fd the call may change: ours, unused, or never valid.
  fdw: fc.oneof(
    { weight: 8, arbitrary: own('ownFd') },
    { weight: 1, arbitrary: fc.integer({ min: 4000, max: 4999 }).map(numDesc) },
    { weight: 1, arbitrary: invalidId },
    { weight: 1, arbitrary: junk },
  ),
  // An fd the call only reads: any number.
  fdr: fc.oneof({ weight: 4, arbitrary: own('ownFd') }, { weight: 2, arbitrary: fc.nat(40).map(numDesc) }, { weight: 1, arbitrary: anything }),
  dirfd: fc.oneof(
    { weight: 4, arbitrary: fc.constant(numDesc(C.AT_FDCWD)) },
    { weight: 4, arbitrary: fc.constant({ t: 'ownDirFd' }) },
    { weight: 1, arbitrary: own('ownFd') },
    { weight: 1, arbitrary: fc.integer({ min: 4000, max: 4999 }).map(numDesc) },
    { weight: 1, arbitrary: invalidId },
    { weight: 1, arbitrary: junk },
  ),
  bytes: fc.oneof({ weight: 6, arbitrary: view }, { weight: 1, arbitrary: anything }),
  records: fc.oneof({ weight: 6, arbitrary: records }, { weight: 1, arbitrary: anything }),
  fields: fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .dictionary(fc.constantFrom('uid', 'gid', 'mode', 'qbytes'), fc.oneof(fc.nat(0o777).map(numDesc), anything), { maxKeys: 4 })
        .map((fields) => ({ t: 'obj', fields })),
    },
    { weight: 1, arbitrary: fc.constant({ t: 'getter' }) },
    { weight: 1, arbitrary: anything },
  ),
  mode: int(0, 0o777),
  type: int(-5, 5),
  maxSize: fc.oneof({ weight: 4, arbitrary: int(0, 200) }, { weight: 1, arbitrary: int(2 ** 31 - 200, 2 ** 31 - 64) }),
  // Shared memory and semaphores: the child's own ids, names and handles, or never valid ones.
  shmid: fc.oneof({ weight: 8, arbitrary: own('ownShmid') }, { weight: 1, arbitrary: invalidId }, { weight: 1, arbitrary: junk }),
  semid: fc.oneof({ weight: 8, arbitrary: own('ownSemid') }, { weight: 1, arbitrary: invalidId }, { weight: 1, arbitrary: junk }),
  // Handles name only the child's own objects (the table is per environment): any number is safe.
  map: fc.oneof({ weight: 8, arbitrary: own('ownMap') }, { weight: 2, arbitrary: anything }),
  sem: fc.oneof({ weight: 8, arbitrary: own('ownSem') }, { weight: 2, arbitrary: anything }),
  // POSIX names: own, or never valid (never a stranger's: unlink and O_TRUNC act on names).
  name: fc.oneof(
    { weight: 8, arbitrary: own('ownName') },
    { weight: 1, arbitrary: fc.constantFrom('', '/a\0b', `/${'x'.repeat(5000)}`).map((v) => ({ t: 'str', v })) },
    { weight: 1, arbitrary: fc.oneof(anyNumber, fc.constantFrom<Desc>({ t: 'undef' }, { t: 'null' }, { t: 'sym' }, { t: 'getter' })) },
  ),
  mapFd: fc.oneof({ weight: 8, arbitrary: fc.constant({ t: 'mapFd' }) }, { weight: 1, arbitrary: invalidId }, { weight: 1, arbitrary: junk }),
  // Segment sizes: small, or never valid (a huge SHM_NORESERVE segment would map terabytes).
  size: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 70_000 }).map(numDesc) }, { weight: 1, arbitrary: invalidId }, { weight: 1, arbitrary: junk }),
  offset: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 9000 }).map(numDesc) }, { weight: 1, arbitrary: anything }),
  timeout: fc.oneof({ weight: 3, arbitrary: fc.constant<Desc>({ t: 'undef' }) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 20 }).map(numDesc) }, { weight: 1, arbitrary: anything }),
  ops: fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .array(
          fc.record({ num: int(0, 3), op: int(-2, 2), flags: flags(C.IPC_NOWAIT, C.SEM_UNDO) }).map((fields) => ({ t: 'obj', fields })),
          { maxLength: 4 },
        )
        .map((items) => ({ t: 'arr', items })),
    },
    { weight: 1, arbitrary: anything },
  ),
  values: fc.oneof({ weight: 6, arbitrary: fc.array(int(0, 5), { maxLength: 4 }).map((items) => ({ t: 'arr', items })) }, { weight: 1, arbitrary: anything }),
  // Socket addresses: a relative path in the child's cwd, or an abstract name of its own.
  addr: fc.oneof(
    { weight: 4, arbitrary: relPath.map((d) => ({ t: 'addr', v: d.v })) },
    { weight: 2, arbitrary: fc.nat(3).map((i) => ({ t: 'abstract', i })) },
    { weight: 1, arbitrary: anything },
  ),
  fdList: fc.oneof(
    { weight: 2, arbitrary: fc.constant<Desc>({ t: 'undef' }) },
    { weight: 4, arbitrary: fc.array(own('ownFd'), { maxLength: 3 }).map((items) => ({ t: 'arr', items })) },
    { weight: 1, arbitrary: anything },
  ),
  fn: fc.oneof({ weight: 6, arbitrary: fc.constant<Desc>({ t: 'fn' }) }, { weight: 1, arbitrary: anything }),
  poll: fc.oneof({ weight: 6, arbitrary: own('ownPoll') }, { weight: 1, arbitrary: anything }),
  // kill/sigqueue: the child's own pid, or never a valid pid (<= 0, non-integers, > INT32_MAX, junk).
  pid: fc.oneof({ weight: 4, arbitrary: fc.constant<Desc>({ t: 'ownPid' }) }, { weight: 2, arbitrary: invalidId }, { weight: 1, arbitrary: fc.constantFrom(0, -1).map(numDesc) }, { weight: 1, arbitrary: junk }),
  // Signal 0 only, or never a valid signal: nothing is ever delivered.
  sig0: fc.oneof({ weight: 4, arbitrary: fc.constant(numDesc(0)) }, { weight: 1, arbitrary: fc.integer({ min: 65, max: 100_000 }).map(numDesc) }, { weight: 1, arbitrary: invalidId }, { weight: 1, arbitrary: junk }),
};

const oneOf = (...values: number[]): fc.Arbitrary<Desc> =>
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...values).map(numDesc) }, { weight: 1, arbitrary: anything });

/**
 * The fuzz policy of every function: an arbitrary per parameter. A function missing here
 * fails the test: a new native function needs a decision about which of its arguments
 * could touch something that is not the child's own (a pid, a foreign id, a path).
 */
const POLICY: Record<string, fc.Arbitrary<Desc>[]> = {
  cancel: [P.task],
  setRef: [P.task, P.bool],
  'testing.waiterStats': [],
  'testing.setWaiterIdleMs': [int(0, 100)],
  'testing.sleepUntilCancelled': [],
  'testing.makeSystemError': [int(0, 4100), P.path, P.path],
  pipe2: [flags(C.O_CLOEXEC, C.O_NONBLOCK, C.O_DIRECT)],
  getPipeSize: [P.fdr],
  setPipeSize: [P.fdw, int(0, 1 << 21)],
  setNonBlocking: [P.fdw, P.bool],
  getFileFlags: [P.fdr],
  // Read slabs: the child's own memory; any byte count only sets how much of it is kept.
  readSlab: [],
  readSlabRetain: [fc.oneof({ weight: 4, arbitrary: int(0, 1 << 24) }, { weight: 1, arbitrary: anything })],
  readSlabRelease: [fc.oneof({ weight: 4, arbitrary: int(0, 1 << 24) }, { weight: 1, arbitrary: anything })],
  'testing.readSlabStats': [],
  mkfifo: [P.path, P.mode],
  mkfifoat: [P.dirfd, P.path, P.mode],
  unlink: [P.path],
  unlinkat: [P.dirfd, P.path, flags(C.AT_REMOVEDIR)],
  openNonBlocking: [P.path, flags(C.O_WRONLY, C.O_RDWR, C.O_NONBLOCK, C.O_CLOEXEC)],
  openWait: [P.path, flags(C.O_WRONLY, C.O_RDWR, C.O_NONBLOCK, C.O_CLOEXEC)],
  ftok: [P.path, int(0, 256)],
  msgget: [P.key, flags(C.IPC_CREAT, C.IPC_EXCL, 0o600, 0o177)],
  msgsnd: [P.qid, P.type, P.bytes],
  msgsndRecords: [P.qid, P.records, int(0, 7)],
  msgrcv: [P.qid, P.maxSize, P.type, flags(C.MSG_EXCEPT, C.MSG_NOERROR)],
  msgrcvCopy: [P.qid, int(-2, 5), P.maxSize],
  msgrcvStart: [P.qid, P.maxSize, P.type, flags(C.MSG_EXCEPT, C.MSG_NOERROR), int(0, 300), P.credit, P.bool, int(0, 50)],
  msgrcvCredit: [P.task, P.credit],
  msgsndStart: [P.qid, P.type, P.bytes],
  msgPutBackStart: [P.qid, P.records, int(0, 7)],
  msgsndRecordsStart: [P.qid, P.records, int(0, 7)],
  msgBacklog: [P.qid, P.records, int(0, 7)],
  'testing.putBacksPending': [],
  msgctlStat: [P.qid],
  msgctlSet: [P.qid, P.fields],
  msgctlRemove: [P.qid],
  msgctlInfo: [flags(C.IPC_INFO, C.MSG_INFO, C.IPC_STAT)],
  msgctlStatIndex: [int(0, 40), P.bool],
  shmget: [P.key, P.size, flags(C.IPC_CREAT, C.IPC_EXCL, 0o600, C.SHM_HUGETLB, C.SHM_NORESERVE, C.SHM_HUGE_2MB)],
  shmat: [P.shmid, flags(C.SHM_RDONLY, C.SHM_RND, C.SHM_REMAP, C.SHM_EXEC)],
  shmdt: [P.map],
  shmctlStat: [P.shmid],
  shmctlSet: [P.shmid, P.fields],
  shmctlRemove: [P.shmid],
  shmctlLock: [P.shmid, P.bool],
  shmctlInfo: [oneOf(C.IPC_INFO, C.SHM_INFO, C.IPC_STAT)],
  shmctlStatIndex: [int(0, 40), P.bool],
  shmOpen: [P.name, flags(C.O_RDWR, C.O_CREAT, C.O_EXCL, C.O_TRUNC), P.mode],
  shmUnlink: [P.name],
  ftruncate: [P.fdw, int(0, 100_000)],
  fstat: [P.fdr],
  mmap: [P.mapFd, int(1, 9000), flags(C.PROT_READ, C.PROT_WRITE), oneOf(0, 4096, 8192, 100)],
  munmap: [P.map],
  mappingRead: [P.map, P.offset, P.offset],
  mappingWrite: [P.map, P.offset, P.bytes],
  mappingLoad32: [P.map, P.offset],
  futexWait: [P.map, P.offset, int(-1, 2), P.timeout],
  futexWake: [P.map, P.offset, int(0, 3)],
  semget: [P.key, int(0, 4), flags(C.IPC_CREAT, C.IPC_EXCL, 0o600)],
  semop: [P.semid, P.ops],
  semopStart: [P.semid, P.ops, P.timeout],
  semctlGet: [P.semid, int(0, 3), oneOf(C.GETVAL, C.GETPID, C.GETNCNT, C.GETZCNT, C.SETVAL)],
  semctlSetVal: [P.semid, int(0, 3), int(0, 40_000)],
  semctlGetAll: [P.semid],
  semctlSetAll: [P.semid, P.values],
  semctlStat: [P.semid],
  semctlSet: [P.semid, P.fields],
  semctlRemove: [P.semid],
  semctlInfo: [oneOf(C.IPC_INFO, C.SEM_INFO, C.IPC_STAT)],
  semctlStatIndex: [int(0, 40), P.bool],
  semOpen: [P.name, flags(C.O_CREAT, C.O_EXCL), P.mode, int(0, 3)],
  semPost: [P.sem],
  semTrywait: [P.sem],
  semWaitStart: [P.sem, P.timeout],
  semGetvalue: [P.sem],
  semUnlink: [P.name],
  semClose: [P.sem],
  // Unix sockets: only the child's own fds; addresses are relative paths in its cwd or
  // abstract names under its own prefix (never a stranger's socket).
  socketpair: [oneOf(C.SOCK_STREAM, C.SOCK_DGRAM, C.SOCK_SEQPACKET, 4, 0), flags(C.SOCK_CLOEXEC, C.SOCK_NONBLOCK)],
  socket: [oneOf(C.SOCK_STREAM, C.SOCK_DGRAM, C.SOCK_SEQPACKET, 4, 0), flags(C.SOCK_CLOEXEC, C.SOCK_NONBLOCK)],
  bind: [P.fdw, P.addr],
  connect: [P.fdw, P.addr],
  listen: [P.fdw, int(0, 5)],
  accept: [P.fdw],
  getsockname: [P.fdr],
  getpeername: [P.fdr],
  getSocketType: [P.fdr],
  getPeerCred: [P.fdr],
  getSocketError: [P.fdw],
  setPassCred: [P.fdw, P.bool],
  shutdown: [P.fdw, int(-1, 3)],
  sendmsg: [P.fdw, P.bytes, P.fdList, fc.oneof(fc.constant<Desc>({ t: 'undef' }), P.addr)],
  recvmsg: [P.fdw, int(0, 70), fc.oneof(int(0, 70_000), anything)],
  pollStart: [P.fdw, P.fn],
  pollSet: [P.poll, int(0, 8)],
  pollRef: [P.poll, P.bool],
  pollClose: [P.poll],
  // Ownership entries of fds the fuzz closes later go stale: the cleanup at exit skips them (fstat).
  ownFd: [P.fdw],
  disownFd: [P.fdw],
  // Signals: only this child, only signal 0 (a probe); any other pid is never valid.
  kill: [P.pid, P.sig0],
  sigqueue: [P.pid, P.sig0, anyNumber],
  signalWatch: [int(C.SIGRTMIN - 1, C.SIGRTMAX + 1), P.fn],
  signalUnwatch: [fc.oneof({ weight: 6, arbitrary: own('ownWatch') }, { weight: 1, arbitrary: anything })],
  signalRef: [P.bool],
};

// setDispatcher is set once by the child; a second call is an ordinary Error (misuse tests cover it).
// setErrorFactory is set once by the loader: a random function in its place would build the
// child's system errors (misuse tests cover its non-function argument).
// prepareExit blocks the calling thread by design (process exit: it waits up to its deadline
// for room to return messages), so a fuzzed deadline would read as a hang; its misuse is in
// the misuse table and its behaviour in the exit tests (messages-putback.test.ts).
const EXEMPT = new Set(['setDispatcher', 'setErrorFactory', 'prepareExit']);

const call: fc.Arbitrary<{ fn: string; args: Desc[] }> = fc.constantFrom(...Object.keys(POLICY)).chain((fn) => {
  const params = POLICY[fn]!;
  return fc
    .tuple(
      fc.tuple(...params),
      fc.array(anything, { maxLength: 2 }),
      // Usually all parameters; sometimes fewer (the rest are undefined).
      fc.oneof({ weight: 4, arbitrary: fc.constant(Infinity) }, { weight: 1, arbitrary: fc.nat(params.length + 2) }),
    )
    .map(([args, extra, n]) => ({ fn, args: [...args, ...extra].slice(0, n) }));
});

// ---- the child ----

interface BatchReply {
  ok?: number;
  bye?: boolean;
  stuck: string[];
  unexpected: Array<{ fn: string; error: string }>;
  outcomes?: Record<string, Record<string, number>>;
}
type Outcome = { reply: BatchReply } | { died: { code: number | null; signal: string | null; stderr: string } } | { hang: true };

class FuzzChild {
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  stderr = '';
  #buf = '';
  #waiter: ((o: Outcome) => void) | undefined;

  constructor(
    cwd: string,
    private readonly created: Set<number>,
  ) {
    this.proc = spawn(process.execPath, [FIXTURE, nativePath], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    if (this.proc.pid !== undefined) childPids.add(this.proc.pid);
    this.proc.stdout!.setEncoding('utf8').on('data', (s: string) => this.#onData(s));
    this.proc.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.proc.stdin!.on('error', () => undefined); // EPIPE after a crash: reported as 'died'
    this.exited = new Promise((resolve) => {
      this.proc.once('close', (code, signal) => {
        resolve({ code, signal });
        this.#waiter?.({ died: { code, signal, stderr: this.stderr } });
      });
    });
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  #onData(s: string): void {
    this.#buf += s;
    let nl: number;
    while ((nl = this.#buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(this.#buf.slice(0, nl)) as BatchReply & Partial<Record<'q' | 'rmq' | 'shm' | 'rmshm' | 'sem' | 'rmsem', number>>;
      this.#buf = this.#buf.slice(nl + 1);
      if (msg.q !== undefined) this.created.add(msg.q);
      else if (msg.rmq !== undefined) this.created.delete(msg.rmq);
      else if (msg.shm !== undefined) createdShm.add(msg.shm);
      else if (msg.rmshm !== undefined) createdShm.delete(msg.rmshm);
      else if (msg.sem !== undefined) createdSem.add(msg.sem);
      else if (msg.rmsem !== undefined) createdSem.delete(msg.rmsem);
      else this.#waiter?.({ reply: msg });
    }
  }

  send(msg: object, timeoutMs: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        resolve({ hang: true });
      }, timeoutMs);
      this.#waiter = (o) => {
        clearTimeout(timer);
        this.#waiter = undefined;
        resolve(o);
      };
      if (!this.alive) this.#waiter({ died: { code: this.proc.exitCode, signal: this.proc.signalCode, stderr: this.stderr } });
      else this.proc.stdin!.write(`${JSON.stringify(msg)}\n`);
    });
  }
}

let dir: TempDir | undefined;
const created = new Set<number>(); // queues a child made and did not report removed
const createdShm = new Set<number>(); // segments, likewise
const createdSem = new Set<number>(); // semaphore sets, likewise
const childPids = new Set<number>();

/** /dev/shm entries (shm objects, sem.* semaphores) under a child's own name prefix. */
function childNames(): string[] {
  const prefixes = [...childPids].map((pid) => `rxipc-fuzz-${pid}-`);
  return readdirSync('/dev/shm').filter((f) => prefixes.some((p) => f.startsWith(p) || f.startsWith(`sem.${p}`)));
}

afterAll(() => {
  // A child that died could not remove its queues: they were its own (IPC_PRIVATE), remove them.
  for (const q of created) {
    try {
      native.msgctlRemove(q);
    } catch {
      /* already gone */
    }
  }
  for (const id of createdShm) {
    try {
      native.shmctlRemove(id);
    } catch {
      /* already gone */
    }
  }
  for (const id of createdSem) {
    try {
      native.semctlRemove(id);
    } catch {
      /* already gone */
    }
  }
  for (const f of childNames()) rmSync(`/dev/shm/${f}`, { force: true });
  dir?.remove();
});

describe('crash fuzz of the native binding', () => {
  it('has a fuzz policy for every exported function', () => {
    const exported = [
      ...Object.keys(native).filter((k) => typeof (native as unknown as Record<string, unknown>)[k] === 'function'),
      ...Object.keys(native.testing).filter((k) => typeof (native.testing as unknown as Record<string, unknown>)[k] === 'function').map((k) => `testing.${k}`),
    ];
    expect(exported.filter((k) => !EXEMPT.has(k)).sort()).toEqual(Object.keys(POLICY).sort());
  });

  it('property: random argument lists never kill the process, hang it, or throw anything but misuse / system errors', async () => {
    dir = makeTempDir('fuzz');
    let child: FuzzChild | undefined;
    const called = new Set<string>();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 40, size: 'max' }), async (calls) => {
          if (!child?.alive) child = new FuzzChild(dir!.path, created);
          const outcome = await child.send({ calls }, 8000);
          if ('hang' in outcome) {
            child.proc.kill('SIGKILL');
            throw new Error('the child did not answer within 8 s: a call blocked or a task ignored cancel');
          }
          if ('died' in outcome) {
            const { code, signal, stderr } = outcome.died;
            throw new Error(`the child died (exit code ${code}, signal ${signal})\n${stderr.slice(-2000)}`);
          }
          const { stuck, unexpected } = outcome.reply;
          expect(stuck, 'tasks that did not end within 3 s of cancel').toEqual([]);
          expect(unexpected, 'throws that are neither misuse nor system errors').toEqual([]);
          for (const c of calls) called.add(c.fn);
        }),
        { numRuns: 1000, interruptAfterTimeLimit: 20_000 },
      );
      // The last child cleans up after itself and exits on its own: no task keeps it alive.
      const bye = await child!.send({ end: true }, 8000);
      expect(bye).toHaveProperty('reply');
      const reply = (bye as { reply: BatchReply }).reply;
      if (process.env.FUZZ_DEBUG) console.log(JSON.stringify(reply.outcomes));
      // The fuzz got past validation into every function's real work at least once.
      for (const fn of Object.keys(POLICY)) {
        const o = reply.outcomes?.[fn];
        expect((o?.returned ?? 0) + (o?.system ?? 0), `${fn} never got past argument validation`).toBeGreaterThan(0);
      }
      expect(reply.stuck).toEqual([]);
      expect(reply.unexpected).toEqual([]);
      const exit = await Promise.race([child!.exited, new Promise<'hang'>((r) => setTimeout(() => r('hang'), 8000))]);
      expect(exit, `child stderr: ${child!.stderr}`).toEqual({ code: 0, signal: null });
      expect([...created], 'queues left by the child').toEqual([]);
      expect([...createdShm], 'segments left by the child').toEqual([]);
      expect([...createdSem], 'semaphore sets left by the child').toEqual([]);
      expect(childNames(), 'POSIX names left by the child').toEqual([]);
      expect([...called].sort()).toEqual(Object.keys(POLICY).sort());
    } finally {
      if (child?.alive) child.proc.kill('SIGKILL');
    }
  }, 60_000);
});
