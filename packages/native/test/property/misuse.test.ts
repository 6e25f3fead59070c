// Misuse is thrown early, synchronously, in one voice: TypeError / RangeError with an ERR_*
// code naming the argument, before any syscall. A table of every native function's
// parameters drives both the explicit cases and the property.
import { closeSync, existsSync, readdirSync, writeFileSync } from 'node:fs';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { native } from '@rxipc/native';

import { countFds, makeTempDir, type TempDir } from '../../../../test/support/fs.js';

const C = native.constants;
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
const SAFE = Number.MAX_SAFE_INTEGER;

type Param =
  | { name: string; kind: 'int'; valid: () => number; ok: (n: number) => boolean }
  | { name: string; kind: 'bool'; valid: () => boolean }
  | { name: string; kind: 'path'; valid: () => string; optional?: boolean }
  | { name: string; kind: 'bytes'; valid: () => ArrayBufferView }
  | { name: string; kind: 'credit'; valid: () => number }
  | { name: string; kind: 'fields'; valid: () => object }
  | { name: string; kind: 'optint'; valid: () => number | undefined; ok: (n: number) => boolean }
  | { name: string; kind: 'ops'; valid: () => unknown[] }
  | { name: string; kind: 'values'; valid: () => unknown[] }
  | { name: string; kind: 'optbytes'; valid: () => ArrayBufferView | undefined }
  | { name: string; kind: 'fdlist'; valid: () => number[] | undefined }
  | { name: string; kind: 'fn'; valid: () => (...a: unknown[]) => void };

const range = (min: number, max: number) => (n: number) => n >= min && n <= max;
const mask = (min: number, max: number, allowed: number) => (n: number) => n >= min && n <= max && (n & ~allowed) === 0;

// Resources the valid arguments point at: a sentinel file, a pipe, a queue of our own.
let dir: TempDir;
let sentinel: string;
let pipe: [number, number];
let qid: number;
// Shared memory and semaphores of our own, whose state a call that got through would change.
let shmid: number;
let shmMap: { handle: number; buffer: ArrayBuffer | undefined };
let shmFd: number;
let fdMap: { handle: number };
let semid: number;
let psem: number;
let shmName: string; // exists, must still exist
let semName: string; // exists, must still exist
const absentName = `/rxipc-misuse-never-${process.pid}`;
// Unix sockets of our own: an unbound datagram socket, a connected seqpacket pair (a message
// that got through would be queued on spair[1]), and a poll on spair[0].
let sock: number;
let spair: [number, number];
let pollId: number;

const int = (name: string, valid: () => number, ok: (n: number) => boolean): Param => ({ name, kind: 'int', valid, ok });
const bool = (name: string, v = true): Param => ({ name, kind: 'bool', valid: () => v });
const path = (name: string, valid: () => string, optional = false): Param => ({ name, kind: 'path', valid, optional });
const bytes = (name: string, valid: () => ArrayBufferView = () => Buffer.from('x')): Param => ({ name, kind: 'bytes', valid });
const credit = (): Param => ({ name: 'credit', kind: 'credit', valid: () => 1 });

const fd = () => int('fd', () => pipe[0], range(0, INT32_MAX));
const msqid = () => int('msqid', () => qid, range(0, INT32_MAX));
const dirfd = () => int('dirfd', () => C.AT_FDCWD, (n) => range(INT32_MIN, INT32_MAX)(n) && (n >= 0 || n === C.AT_FDCWD));
const openFlags = () =>
  int('flags', () => C.O_RDONLY | C.O_CLOEXEC, (n) => mask(0, INT32_MAX, C.O_ACCMODE | C.O_NONBLOCK | C.O_CLOEXEC)(n) && (n & C.O_ACCMODE) !== C.O_ACCMODE);
const fresh = () => dir.unique('never'); // must still not exist after the call
const shmidP = () => int('shmid', () => shmid, range(0, INT32_MAX));
const semidP = () => int('semid', () => semid, range(0, INT32_MAX));
const mapping = (valid = () => shmMap.handle) => int('mapping', valid, range(1, 0x7fffffff));
const sem = () => int('sem', () => psem, range(1, 0x7fffffff));
const timeout = (): Param => ({ name: 'timeoutMs', kind: 'optint', valid: () => undefined, ok: range(0, INT32_MAX) });
const word = (n: number) => n >= 0 && n <= 4092 && n % 4 === 0; // in a 4096-byte mapping
const sysvFlags = mask(0, INT32_MAX, C.IPC_CREAT | C.IPC_EXCL | 0o777);

/**
 * Every function of the binding and its parameters in order, with valid values whose use
 * would be visible (a created FIFO, an opened fd, a sent message) if a call ever reached
 * the kernel despite a bad argument.
 */
const TABLE: Record<string, Param[]> = {
  setDispatcher: [], // its one misuse (not a function) is checked on its own below
  setErrorFactory: [], // likewise
  cancel: [int('id', () => 0x7ffffffe, range(1, 0x7fffffff))],
  setRef: [int('id', () => 0x7ffffffe, range(1, 0x7fffffff)), bool('ref')],
  'testing.waiterStats': [],
  'testing.setWaiterIdleMs': [int('ms', () => 2000, range(0, 3_600_000))],
  'testing.sleepUntilCancelled': [],
  'testing.makeSystemError': [int('errno', () => 2, range(1, 4095)), path('syscall', () => 'open'), path('path', () => '/x', true)],
  pipe2: [int('flags', () => C.O_CLOEXEC, mask(0, INT32_MAX, C.O_CLOEXEC | C.O_NONBLOCK | C.O_DIRECT))],
  getPipeSize: [fd()],
  setPipeSize: [fd(), int('size', () => 65536, range(1, INT32_MAX))],
  setNonBlocking: [fd(), bool('nonBlocking', false)],
  getFileFlags: [fd()],
  readSlab: [],
  // 0: what the pool keeps with no reader open (this file opens none).
  readSlabRetain: [int('bytes', () => 0, range(0, SAFE))],
  readSlabRelease: [int('keepBytes', () => 0, range(0, SAFE))],
  'testing.readSlabStats': [],
  mkfifo: [path('path', fresh), int('mode', () => 0o600, range(0, 0o7777))],
  mkfifoat: [dirfd(), path('path', fresh), int('mode', () => 0o600, range(0, 0o7777))],
  unlink: [path('path', () => sentinel)],
  unlinkat: [dirfd(), path('path', () => sentinel), int('flags', () => 0, (n) => n === 0 || n === C.AT_REMOVEDIR)],
  openNonBlocking: [path('path', () => sentinel), openFlags()],
  openWait: [path('path', () => sentinel), openFlags()],
  ftok: [path('path', () => sentinel), int('projId', () => 1, range(1, 255))],
  // flags without IPC_CREAT: a lookup of a key nobody uses, never a creation.
  msgget: [int('key', () => 0x7ffe1234, range(INT32_MIN, 2 ** 32 - 1)), int('flags', () => 0o600, mask(0, INT32_MAX, C.IPC_CREAT | C.IPC_EXCL | 0o777))],
  msgsnd: [msqid(), int('type', () => 1, range(1, SAFE)), bytes('data')],
  msgsndRecords: [msqid(), bytes('records', () => record(1, 'x')), int('count', () => 1, range(0, 2 ** 32 - 1))],
  msgrcv: [msqid(), int('maxSize', () => 64, range(0, INT32_MAX - 64)), int('type', () => 0, range(-SAFE, SAFE)), int('flags', () => 0, mask(0, INT32_MAX, C.MSG_EXCEPT | C.MSG_NOERROR))],
  msgrcvCopy: [msqid(), int('index', () => 0, range(0, INT32_MAX)), int('maxSize', () => 64, range(0, INT32_MAX - 64))],
  msgrcvStart: [
    msqid(),
    int('maxSize', () => 64, range(0, INT32_MAX - 64)),
    int('type', () => 0, range(-SAFE, SAFE)),
    int('flags', () => 0, mask(0, INT32_MAX, C.MSG_EXCEPT | C.MSG_NOERROR)),
    int('batch', () => 1, range(1, 65536)),
    credit(),
    bool('once'),
    int('spinUs', () => 0, range(0, 10000)),
  ],
  msgrcvCredit: [int('id', () => 0x7ffffffe, range(1, 0x7fffffff)), credit()],
  msgsndStart: [msqid(), int('type', () => 1, range(1, SAFE)), bytes('data')],
  msgPutBackStart: [msqid(), bytes('records', () => record(1, 'x')), int('count', () => 1, range(0, 2 ** 32 - 1))],
  msgsndRecordsStart: [msqid(), bytes('records', () => record(1, 'x')), int('count', () => 1, range(0, 2 ** 32 - 1))],
  msgBacklog: [msqid(), bytes('records', () => record(1, 'x')), int('count', () => 1, range(0, 2 ** 32 - 1))],
  prepareExit: [int('deadlineMs', () => 0, range(0, 60000))],
  'testing.putBacksPending': [],
  msgctlStat: [msqid()],
  msgctlSet: [msqid(), { name: 'fields', kind: 'fields', valid: () => ({ mode: 0o600 }) }],
  msgctlRemove: [msqid()],
  msgctlInfo: [int('cmd', () => C.IPC_INFO, (n) => n === C.IPC_INFO || n === C.MSG_INFO)],
  msgctlStatIndex: [int('index', () => 0x7ffffff0, range(0, INT32_MAX)), bool('any', false)],
  // flags without IPC_CREAT: lookups of a key nobody uses.
  shmget: [
    int('key', () => 0x7ffe1234, range(INT32_MIN, 2 ** 32 - 1)),
    int('size', () => 4096, range(0, SAFE)),
    int('flags', () => 0o600, (n) => {
      const huge = n & (0x1f << 26);
      const hugeNoReserve = (n & C.SHM_HUGETLB) !== 0 && (n & C.SHM_NORESERVE) !== 0;
      return mask(0, INT32_MAX, C.IPC_CREAT | C.IPC_EXCL | 0o777 | C.SHM_HUGETLB | C.SHM_NORESERVE | (0x1f << 26))(n) && [0, C.SHM_HUGE_2MB, C.SHM_HUGE_1GB].includes(huge) && !hugeNoReserve;
    }),
  ],
  shmat: [shmidP(), int('flags', () => 0, mask(0, INT32_MAX, C.SHM_RDONLY | C.SHM_RND | C.SHM_REMAP | C.SHM_EXEC))],
  shmdt: [mapping()],
  shmctlStat: [shmidP()],
  shmctlSet: [shmidP(), { name: 'fields', kind: 'fields', valid: () => ({ mode: 0o640 }) }],
  shmctlRemove: [shmidP()],
  shmctlLock: [shmidP(), bool('lock')],
  shmctlInfo: [int('cmd', () => C.IPC_INFO, (n) => n === C.IPC_INFO || n === C.SHM_INFO)],
  shmctlStatIndex: [int('index', () => 0x7ffffff0, range(0, INT32_MAX)), bool('any', false)],
  shmOpen: [
    path('name', () => absentName),
    int('flags', () => C.O_RDONLY, (n) => mask(0, INT32_MAX, C.O_ACCMODE | C.O_CREAT | C.O_EXCL | C.O_TRUNC | C.O_CLOEXEC)(n) && (n & C.O_ACCMODE) !== C.O_WRONLY && (n & C.O_ACCMODE) !== C.O_ACCMODE),
    int('mode', () => 0o600, range(0, 0o777)),
  ],
  shmUnlink: [path('name', () => shmName)],
  ftruncate: [int('fd', () => shmFd, range(0, INT32_MAX)), int('length', () => 8192, range(0, SAFE))],
  fstat: [fd()],
  mmap: [
    int('fd', () => shmFd, range(0, INT32_MAX)),
    int('length', () => 4096, range(1, 4096)),
    int('prot', () => C.PROT_READ, (n) => n === C.PROT_READ || n === (C.PROT_READ | C.PROT_WRITE)),
    int('offset', () => 0, range(0, SAFE)),
  ],
  munmap: [mapping(() => fdMap.handle)],
  mappingRead: [mapping(), int('offset', () => 0, range(0, SAFE)), int('length', () => 1, range(0, SAFE))],
  mappingWrite: [mapping(), int('offset', () => 0, range(0, 4095)), bytes('data')],
  mappingLoad32: [mapping(), int('offset', () => 0, word)],
  futexWait: [mapping(), int('offset', () => 0, word), int('expected', () => 0, range(INT32_MIN, 2 ** 32 - 1)), timeout()],
  futexWake: [mapping(), int('offset', () => 0, word), int('count', () => 1, range(1, INT32_MAX))],
  semget: [int('key', () => 0x7ffe1234, range(INT32_MIN, 2 ** 32 - 1)), int('nsems', () => 1, range(0, INT32_MAX)), int('flags', () => 0o600, sysvFlags)],
  semop: [semidP(), { name: 'ops', kind: 'ops', valid: () => [{ num: 0, op: 1, flags: 0 }] }],
  semopStart: [semidP(), { name: 'ops', kind: 'ops', valid: () => [{ num: 0, op: 1, flags: 0 }] }, timeout()],
  semctlGet: [semidP(), int('semnum', () => 0, range(0, 65535)), int('cmd', () => C.GETVAL, (n) => [C.GETVAL, C.GETPID, C.GETNCNT, C.GETZCNT].includes(n))],
  semctlSetVal: [semidP(), int('semnum', () => 0, range(0, 65535)), int('value', () => 5, range(0, 32767))],
  semctlGetAll: [semidP()],
  semctlSetAll: [semidP(), { name: 'values', kind: 'values', valid: () => [5, 5] }],
  semctlStat: [semidP()],
  semctlSet: [semidP(), { name: 'fields', kind: 'fields', valid: () => ({ mode: 0o640 }) }],
  semctlRemove: [semidP()],
  semctlInfo: [int('cmd', () => C.IPC_INFO, (n) => n === C.IPC_INFO || n === C.SEM_INFO)],
  semctlStatIndex: [int('index', () => 0x7ffffff0, range(0, INT32_MAX)), bool('any', false)],
  semOpen: [
    path('name', () => absentName),
    int('flags', () => 0, mask(0, INT32_MAX, C.O_CREAT | C.O_EXCL)),
    int('mode', () => 0o600, range(0, 0o777)),
    int('value', () => 0, range(0, C.SEM_VALUE_MAX)),
  ],
  semPost: [sem()],
  semTrywait: [sem()],
  semWaitStart: [sem(), timeout()],
  semGetvalue: [sem()],
  semUnlink: [path('name', () => semName)],
  semClose: [sem()],
  socketpair: [int('type', () => C.SOCK_SEQPACKET, (n) => [C.SOCK_STREAM, C.SOCK_DGRAM, C.SOCK_SEQPACKET].includes(n)), int('flags', () => C.SOCK_CLOEXEC, mask(0, INT32_MAX, C.SOCK_CLOEXEC | C.SOCK_NONBLOCK))],
  socket: [int('type', () => C.SOCK_DGRAM, (n) => [C.SOCK_STREAM, C.SOCK_DGRAM, C.SOCK_SEQPACKET].includes(n)), int('flags', () => C.SOCK_CLOEXEC, mask(0, INT32_MAX, C.SOCK_CLOEXEC | C.SOCK_NONBLOCK))],
  // A fresh path: a bind that got through would leave a socket file in the dir.
  bind: [int('fd', () => sock, range(0, INT32_MAX)), bytes('address', () => Buffer.from(fresh()))],
  connect: [int('fd', () => sock, range(0, INT32_MAX)), bytes('address', () => Buffer.from(fresh()))],
  listen: [int('fd', () => spair[0], range(0, INT32_MAX)), int('backlog', () => 1, range(0, 65535))],
  accept: [int('fd', () => spair[0], range(0, INT32_MAX))],
  getsockname: [int('fd', () => sock, range(0, INT32_MAX))],
  getpeername: [int('fd', () => spair[0], range(0, INT32_MAX))],
  getSocketType: [int('fd', () => sock, range(0, INT32_MAX))],
  getPeerCred: [int('fd', () => spair[0], range(0, INT32_MAX))],
  getSocketError: [int('fd', () => spair[0], range(0, INT32_MAX))],
  setPassCred: [int('fd', () => sock, range(0, INT32_MAX)), bool('on', false)],
  shutdown: [int('fd', () => spair[0], range(0, INT32_MAX)), int('how', () => C.SHUT_RDWR, range(C.SHUT_RD, C.SHUT_RDWR))],
  sendmsg: [
    int('fd', () => spair[0], range(0, INT32_MAX)),
    bytes('data'),
    { name: 'fds', kind: 'fdlist', valid: () => [pipe[0]] },
    { name: 'address', kind: 'optbytes', valid: () => undefined },
  ],
  recvmsg: [int('fd', () => spair[1], range(0, INT32_MAX)), int('maxMessages', () => 1, range(1, 65536)), int('maxSize', () => 64, range(0, 64 << 20))],
  pollStart: [int('fd', () => spair[1], range(0, INT32_MAX)), { name: 'callback', kind: 'fn', valid: () => () => undefined }],
  pollSet: [int('poll', () => pollId, range(1, INT32_MAX)), int('events', () => C.UV_READABLE, range(0, 7))],
  pollRef: [int('poll', () => pollId, range(1, INT32_MAX)), bool('ref')],
  pollClose: [int('poll', () => pollId, range(1, INT32_MAX))],
  ownFd: [int('fd', () => spair[1], range(0, INT32_MAX))],
  disownFd: [int('fd', () => spair[1], range(0, INT32_MAX))],
  // Signal 0 to ourselves: a probe; a kill that got through with a bad signal would be seen.
  kill: [int('pid', () => process.pid, range(1, INT32_MAX)), int('signal', () => 0, range(0, C.SIGRTMAX))],
  sigqueue: [int('pid', () => process.pid, range(1, INT32_MAX)), int('signal', () => 0, range(0, C.SIGRTMAX)), int('value', () => 1, range(INT32_MIN, INT32_MAX))],
  signalWatch: [
    int('signal', () => C.SIGRTMIN + 1, (n) => n >= C.SIGRTMIN && n <= C.SIGRTMAX && n !== C.RXIPC_CANCEL_SIGNAL),
    { name: 'callback', kind: 'fn', valid: () => () => undefined },
  ],
  signalUnwatch: [int('watch', () => 0x7ffffffe, range(1, INT32_MAX))],
  signalRef: [bool('ref')],
};

const isObjectLike = (v: unknown) => (typeof v === 'object' && v !== null) || typeof v === 'function';

/** An integer element check, in the order the addon makes it. */
function intElement(v: unknown, min: number, max: number): Expected | undefined {
  if (typeof v !== 'number') return TYPE;
  return Number.isInteger(v) && v >= min && v <= max ? undefined : RANGE;
}

/** semop's ops, checked element by element in the addon's order: num, op, flags. */
function opsExpected(value: unknown): Expected | undefined {
  if (!Array.isArray(value)) return TYPE;
  if (value.length < 1 || value.length > 65535) return RANGE;
  for (const e of value as unknown[]) {
    if (!isObjectLike(e)) return TYPE;
    const o = e as Record<string, unknown>;
    const bad =
      intElement(o.num, 0, 65535) ??
      intElement(o.op, -32768, 32767) ??
      intElement(o.flags, 0, INT32_MAX) ??
      (((o.flags as number) & ~(C.IPC_NOWAIT | C.SEM_UNDO)) !== 0 ? RANGE : undefined);
    if (bad) return bad;
  }
  return undefined;
}

/** SETALL's values (each 0..SEMVMX); a length other than nsems is the kernel's state, not checked here. */
function valuesExpected(value: unknown): Expected | undefined {
  if (!Array.isArray(value)) return TYPE;
  if (value.length > 65535) return RANGE;
  for (const v of value as unknown[]) {
    const bad = intElement(v, 0, 32767);
    if (bad) return bad;
  }
  return undefined;
}

/** A function of the binding by name: 'msgsnd', or 'testing.waiterStats' for a test hook. */
function nativeFn(name: string): (...a: unknown[]) => unknown {
  const [ns, fn] = name.startsWith('testing.') ? [native.testing, name.slice(8)] : [native, name];
  return (ns as unknown as Record<string, (...a: unknown[]) => unknown>)[fn]!.bind(ns);
}

/** One record in msgsndRecords' layout: [u32 length][u32 0][f64 type][data][pad to 8]. */
function record(type: number, data: string): Buffer {
  const d = Buffer.from(data);
  const b = Buffer.alloc(16 + Math.ceil(d.length / 8) * 8);
  b.writeUInt32LE(d.length, 0);
  b.writeDoubleLE(type, 8);
  d.copy(b, 16);
  return b;
}

type Expected = { ctor: typeof TypeError | typeof RangeError; code: string };
const TYPE: Expected = { ctor: TypeError, code: 'ERR_INVALID_ARG_TYPE' };
const RANGE: Expected = { ctor: RangeError, code: 'ERR_OUT_OF_RANGE' };
const VALUE: Expected = { ctor: TypeError, code: 'ERR_INVALID_ARG_VALUE' };

/** What a bad `value` for `p` must throw; undefined when the value is in fact valid. */
function expectedFor(p: Param, value: unknown): Expected | undefined {
  switch (p.kind) {
    case 'int':
      if (typeof value !== 'number') return TYPE;
      return Number.isInteger(value) && p.ok(value) ? undefined : RANGE;
    case 'bool':
      return typeof value === 'boolean' ? undefined : TYPE;
    case 'path':
      if (p.optional && value === undefined) return undefined;
      if (typeof value !== 'string') return TYPE;
      if (value.includes('\0')) return VALUE;
      return value.length === 0 || Buffer.byteLength(value) >= 4096 ? RANGE : undefined;
    case 'bytes':
      return ArrayBuffer.isView(value) ? undefined : TYPE;
    case 'credit':
      if (typeof value !== 'number') return TYPE;
      return Number.isNaN(value) || value < 0 ? RANGE : undefined;
    case 'fields':
      // Arrays and functions are objects too: an empty change set, not misuse.
      return (typeof value === 'object' && value !== null) || typeof value === 'function' ? undefined : TYPE;
    case 'optint':
      if (value === undefined) return undefined;
      if (typeof value !== 'number') return TYPE;
      return Number.isInteger(value) && p.ok(value) ? undefined : RANGE;
    case 'ops':
      return opsExpected(value);
    case 'values':
      // A valid list of the wrong length is left to the kernel's state check: never passed here.
      return valuesExpected(value);
    case 'optbytes':
      return value === undefined || ArrayBuffer.isView(value) ? undefined : TYPE;
    case 'fdlist': {
      if (value === undefined) return undefined;
      if (!Array.isArray(value)) return TYPE;
      if (value.length > 253) return RANGE;
      for (const v of value as unknown[]) {
        const bad = intElement(v, 0, INT32_MAX);
        if (bad) return bad;
      }
      return undefined;
    }
    case 'fn':
      return typeof value === 'function' ? undefined : TYPE;
  }
}

function call(fn: string, args: unknown[]): unknown {
  return nativeFn(fn)(...args);
}

/** Calls `fn` with `args` and checks the throw: class, code, the argument's name, and no side effect. */
function expectMisuse(fn: string, args: unknown[], want: Expected, argName: string): void {
  const fds = countFds();
  const files = readdirSync(dir.path).sort().join();
  let thrown: unknown;
  try {
    call(fn, args);
  } catch (err) {
    thrown = err;
  }
  const where = `${fn}(${args.map((a) => fc.stringify(a)).join(', ')})`;
  expect(thrown, `${where} did not throw`).toBeInstanceOf(want.ctor);
  expect((thrown as { code?: string }).code, where).toBe(want.code);
  expect((thrown as Error).message, where).toContain(argName);
  // Nothing reached the kernel: no fd opened, no FIFO made or removed, no message queued.
  expect(countFds(), where).toBe(fds);
  expect(readdirSync(dir.path).sort().join(), where).toBe(files);
  expect(native.msgctlStat(qid).qnum, where).toBe(0);
  expect(native.semctlGetAll(semid), where).toEqual([0, 0]);
  expect(native.semGetvalue(psem), where).toBe(1);
  expect(native.fstat(shmFd).size, where).toBe(4096);
  expect(native.mappingRead(shmMap.handle, 0, 4)[0], where).toBe(0);
  expect(native.shmctlStat(shmid).perm.mode & 0o777, where).toBe(0o600);
  expect(native.semctlStat(semid).perm.mode & 0o777, where).toBe(0o600);
  expect(native.mappingRead(fdMap.handle, 0, 1).length, where).toBe(1);
  expect(existsSync(`/dev/shm${shmName}`) && existsSync(`/dev/shm/sem.${semName.slice(1)}`), where).toBe(true);
  expect(existsSync(`/dev/shm${absentName}`) || existsSync(`/dev/shm/sem.${absentName.slice(1)}`), where).toBe(false);
  expect(native.recvmsg(spair[1], 1, 64).meta.length, where).toBe(0);
  expect(native.getsockname(sock).length, where).toBe(0);
}

function validArgs(params: Param[]): unknown[] {
  return params.map((p) => p.valid());
}

beforeAll(() => {
  dir = makeTempDir('misuse');
  sentinel = dir.file('sentinel');
  writeFileSync(sentinel, 'keep me');
  pipe = native.pipe2(C.O_CLOEXEC);
  qid = native.msgget(C.IPC_PRIVATE, C.IPC_CREAT | 0o600);
  shmid = native.shmget(C.IPC_PRIVATE, 4096, C.IPC_CREAT | 0o600);
  shmMap = native.shmat(shmid, 0);
  semid = native.semget(C.IPC_PRIVATE, 2, C.IPC_CREAT | 0o600);
  shmName = `/rxipc-misuse-${process.pid}`;
  semName = `/rxipc-misuse-sem-${process.pid}`;
  shmFd = native.shmOpen(shmName, C.O_RDWR | C.O_CREAT | C.O_EXCL, 0o600);
  native.ftruncate(shmFd, 4096);
  fdMap = native.mmap(shmFd, 4096, C.PROT_READ | C.PROT_WRITE, 0);
  psem = native.semOpen(semName, C.O_CREAT | C.O_EXCL, 0o600, 1);
  sock = native.socket(C.SOCK_DGRAM, C.SOCK_CLOEXEC);
  spair = native.socketpair(C.SOCK_SEQPACKET, C.SOCK_CLOEXEC);
  pollId = native.pollStart(spair[0], () => undefined);
});

afterAll(() => {
  native.testing.setWaiterIdleMs(2000); // in case a broken validation let a value through
  if (qid !== undefined) native.msgctlRemove(qid);
  if (shmMap) native.shmdt(shmMap.handle);
  if (shmid !== undefined) native.shmctlRemove(shmid);
  if (semid !== undefined) native.semctlRemove(semid);
  if (fdMap) native.munmap(fdMap.handle);
  if (shmFd !== undefined) closeSync(shmFd);
  if (shmName) native.shmUnlink(shmName);
  if (psem !== undefined) native.semClose(psem);
  if (semName) native.semUnlink(semName);
  if (pipe) pipe.forEach((f) => closeSync(f));
  if (pollId !== undefined) native.pollClose(pollId);
  if (spair) spair.forEach((f) => closeSync(f));
  if (sock !== undefined) closeSync(sock);
  dir?.remove();
});

describe('misuse of the native binding', () => {
  it('the table covers every exported function', () => {
    const exported = [
      ...Object.keys(native).filter((k) => typeof (native as unknown as Record<string, unknown>)[k] === 'function'),
      ...Object.keys(native.testing).filter((k) => typeof (native.testing as unknown as Record<string, unknown>)[k] === 'function').map((k) => `testing.${k}`),
    ];
    expect(exported.sort()).toEqual(Object.keys(TABLE).sort());
  });

  it('setDispatcher(non-function) is a TypeError', () => {
    for (const v of [undefined, null, 1, 'f', {}]) expectMisuse('setDispatcher', [v], TYPE, 'dispatch');
  });

  it('setErrorFactory(non-function) is a TypeError, and leaves the installed factory in place', () => {
    for (const v of [undefined, null, 1, 'f', {}]) expectMisuse('setErrorFactory', [v], TYPE, 'factory');
    expect(native.testing.makeSystemError(2, 'open', '/x')).toMatchObject({ code: 'ENOENT', message: "ENOENT: no such file or directory, open '/x'" });
  });

  it('table: wrong types, non-integers, out-of-range values and bad flags', () => {
    const wrongTypes: unknown[] = ['1', true, null, undefined, {}, [], 1n, Symbol('s'), () => 1];
    for (const [fn, params] of Object.entries(TABLE)) {
      params.forEach((p, i) => {
        const bad: unknown[] = [...wrongTypes];
        if (p.kind === 'int') bad.push(NaN, Infinity, -Infinity, 0.5, -1.5, 2 ** 53, -(2 ** 53), 1e300);
        if (p.kind === 'path') bad.push('', 'a\0b', '\0', 'a'.repeat(4096));
        if (p.kind === 'credit') bad.push(NaN, -1, -Infinity);
        if (p.kind === 'bytes') bad.push(new ArrayBuffer(4), [1, 2]);
        if (p.kind === 'optint') bad.push(NaN, Infinity, -1, 0.5, 2 ** 31);
        if (p.kind === 'ops') bad.push([], [1], [{}], [{ num: 0, op: 1 }], [{ num: -1, op: 1, flags: 0 }], [{ num: 0, op: 32768, flags: 0 }], [{ num: 0, op: 1, flags: 0o10 }], [{ num: 0, op: 1, flags: 0 }, null], new Array(65536).fill({ num: 0, op: 1, flags: 0 }));
        if (p.kind === 'values') bad.push([32768, 0], [-1, 0], [0, 0.5], ['1', 0], [0, null]);
        if (p.kind === 'fdlist') bad.push([-1], [0.5], ['1'], [null], [2 ** 31], new Array(254).fill(0));
        for (const v of bad) {
          const want = expectedFor(p, v);
          if (want === undefined) continue;
          const args = validArgs(params);
          args[i] = v;
          expectMisuse(fn, args, want, p.name);
        }
      });
    }
  });

  it('table: flag and value sets', () => {
    const cases: Array<[string, unknown[], Expected, string]> = [
      ['pipe2', [C.O_CLOEXEC | 0o1], RANGE, 'flags'], // O_WRONLY is no pipe2 flag
      ['pipe2', [-1], RANGE, 'flags'],
      ['openNonBlocking', [sentinel, C.O_ACCMODE], RANGE, 'flags'],
      ['openWait', [sentinel, C.O_RDONLY | 0o100], RANGE, 'flags'], // O_CREAT
      ['unlinkat', [C.AT_FDCWD, sentinel, 1], RANGE, 'flags'],
      ['mkfifoat', [-1, 'x', 0o600], RANGE, 'dirfd'],
      ['mkfifo', [dir.file('m'), 0o10000], RANGE, 'mode'],
      ['msgget', [0x7ffe1234, 0o4000], RANGE, 'flags'], // not IPC_CREAT (0o1000) nor IPC_EXCL (0o2000)
      ['msgget', [2 ** 32, 0], RANGE, 'key'],
      ['msgrcv', [0x7ffffff0, 64, 0, C.IPC_NOWAIT], RANGE, 'flags'],
      ['msgctlInfo', [C.IPC_STAT], RANGE, 'cmd'],
      ['msgctlSet', [0x7ffffff0, { mode: '600' }], TYPE, 'mode'],
      ['msgctlSet', [0x7ffffff0, { mode: 0o1000 }], RANGE, 'mode'],
      ['msgctlSet', [0x7ffffff0, { qbytes: -1 }], RANGE, 'qbytes'],
      ['msgctlSet', [0x7ffffff0, { uid: 1.5 }], RANGE, 'uid'],
      ['msgsnd', [0x7ffffff0, 0, Buffer.from('x')], RANGE, 'type'],
      ['msgsndRecords', [0x7ffffff0, record(0, 'x'), 1], RANGE, 'type'],
      ['msgsndRecords', [0x7ffffff0, record(1, 'x'), 2], RANGE, 'count'],
      ['msgsndRecords', [0x7ffffff0, Buffer.alloc(8), 1], RANGE, 'count'],
      ['msgsndRecordsStart', [0x7ffffff0, record(0, 'x'), 1], RANGE, 'type'],
      ['msgsndRecordsStart', [0x7ffffff0, record(1, 'x'), 2], RANGE, 'count'],
      ['testing.makeSystemError', [0, 'open'], RANGE, 'errno'],
      ['shmget', [0x7ffe1234, 4096, C.SHM_HUGETLB | (22 << 26)], RANGE, 'flags'], // 4 MB: neither 2 MB nor 1 GB
      ['shmget', [0x7ffe1234, 2 << 20, C.IPC_CREAT | C.SHM_HUGETLB | C.SHM_NORESERVE | 0o600], RANGE, 'flags'], // a SIGBUS trap
      ['shmat', [0x7ffffff0, C.IPC_CREAT], RANGE, 'flags'],
      ['shmctlInfo', [C.IPC_STAT], RANGE, 'cmd'],
      ['shmctlSet', [0x7ffffff0, { mode: 0o1000 }], RANGE, 'mode'],
      ['shmOpen', [absentName, C.O_WRONLY], RANGE, 'flags'],
      ['shmOpen', [absentName, C.O_RDONLY | C.O_NONBLOCK], RANGE, 'flags'],
      ['mmap', [0x7ffffff0, 4096, C.PROT_WRITE, 0], RANGE, 'prot'],
      ['mmap', [0x7ffffff0, 4096, 0, 0], RANGE, 'prot'],
      ['mappingWrite', [shmMap.handle, 4096, Buffer.from('x')], RANGE, 'offset'],
      ['mappingLoad32', [shmMap.handle, 2], RANGE, 'offset'],
      ['futexWait', [shmMap.handle, 4096, 0], RANGE, 'offset'],
      ['futexWake', [shmMap.handle, 0, 0], RANGE, 'count'],
      ['semctlSetVal', [0x7ffffff0, 0, 32768], RANGE, 'value'],
      ['semctlSetAll', [0x7ffffff0, [0, 32768]], RANGE, 'values[1]'],
      ['semctlGet', [0x7ffffff0, 0, C.SETVAL], RANGE, 'cmd'],
      ['semop', [0x7ffffff0, [{ num: 0, op: -1, flags: 0o100 }]], RANGE, 'ops[0].flags'],
      ['semopStart', [0x7ffffff0, [{ num: 0, op: -1, flags: 0 }], -1], RANGE, 'timeoutMs'],
      ['semOpen', [absentName, C.O_TRUNC, 0o600, 0], RANGE, 'flags'],
      ['semOpen', [absentName, C.O_CREAT, 0o600, 2 ** 31], RANGE, 'value'],
      ['testing.makeSystemError', [4096, 'open'], RANGE, 'errno'],
      ['socketpair', [99, C.SOCK_CLOEXEC], RANGE, 'type'],
      ['socketpair', [C.SOCK_DGRAM, 1], RANGE, 'flags'],
      ['socket', [C.SOCK_DGRAM, C.O_DIRECT], RANGE, 'flags'],
      ['bind', [sock, Buffer.alloc(0)], RANGE, 'address'],
      ['bind', [sock, Buffer.from('a\0b')], RANGE, 'address'],
      ['bind', [sock, Buffer.alloc(108, 0x61)], RANGE, 'address'], // no room for the NUL
      ['bind', [sock, Buffer.concat([Buffer.alloc(1), Buffer.alloc(108, 0x61)])], RANGE, 'address'],
      ['sendmsg', [spair[0], Buffer.from('x'), new Array(254).fill(pipe[0])], RANGE, 'fds'],
      ['sendmsg', [spair[0], Buffer.from('x'), undefined, Buffer.alloc(0)], RANGE, 'address'],
      ['kill', [0, 0], RANGE, 'pid'], // never a process group
      ['kill', [-1, 0], RANGE, 'pid'], // never every process
      ['kill', [process.pid, 65], RANGE, 'signal'],
      ['signalWatch', [C.RXIPC_CANCEL_SIGNAL, () => undefined], RANGE, 'signal'],
      ['signalWatch', [C.SIGRTMIN - 1, () => undefined], RANGE, 'signal'],
    ];
    for (const [fn, args, want, name] of cases) expectMisuse(fn, args, want, name);
  });

  it('every ArrayBufferView is data: shared, offset, DataView, typed, detached (empty)', () => {
    const sab = new SharedArrayBuffer(16);
    new Uint8Array(sab).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    const detached = new Uint8Array(new ArrayBuffer(8), 2);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    const cases: Array<[ArrayBufferView, number[]]> = [
      [new Uint8Array(sab, 4, 3), [5, 6, 7]],
      [new DataView(sab, 14), [15, 16]],
      [new Uint16Array(new Uint8Array([9, 8, 7, 6]).buffer, 2, 1), [7, 6]],
      [Buffer.from([1, 2, 3]).subarray(1), [2, 3]],
      [detached, []],
    ];
    for (const [view, want] of cases) {
      expect(native.msgsnd(qid, 7, view)).toBe(true);
      const got = native.msgrcv(qid, 64, 7, 0);
      expect([...got!.data]).toEqual(want);
    }
  });

  it('property: one bad argument among valid ones always throws the matching misuse error first', () => {
    const fns = Object.entries(TABLE).filter(([, ps]) => ps.length > 0);
    const badValue = fc.oneof(
      fc.anything({ withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true, withDate: true }),
      fc.double(),
      fc.integer(),
      fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53, -(2 ** 53), C.AT_FDCWD, -1),
      fc.string({ maxLength: 10 }).map((s) => `${s}\0${s}`),
      fc.constant(''),
      fc.constant('x'.repeat(5000)),
    );
    fc.assert(
      fc.property(fc.constantFrom(...fns), fc.nat(), badValue, ([fn, params], pick, value) => {
        const i = pick % params.length;
        const p = params[i]!;
        const want = expectedFor(p, value);
        fc.pre(want !== undefined);
        const args = validArgs(params);
        args[i] = value;
        expectMisuse(fn, args, want!, p.name);
      }),
      { numRuns: 600 },
    );
    // The valid arguments never reached the kernel either.
    expect(existsSync(sentinel)).toBe(true);
  });
});
