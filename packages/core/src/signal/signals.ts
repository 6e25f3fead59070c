// Signals: kill and sigqueue with Node-style errors, and real-time signals received with
// what Node never gives (sender pid and uid, sigqueue's value).
//
// How real-time signals are received (packages/native/src/signal.cc): an SA_SIGINFO handler
// writes each siginfo to a self-pipe that the event loop polls. Not signalfd: that needs
// the signal blocked in every thread, and Node's own threads (created before rxipc loads)
// do not block it. Standard signals stay with Node (`process.on`), which libuv handles; no
// real-time signal is one of them, so the two never compete. SIGRTMIN+5 is rxipc's own
// (its waiter threads are cancelled with it) and refused.
import { constants as osConstants } from 'node:os';

import { native, type RealtimeSignalInfo } from '@rxipc/native';

import { invalidArgType, outOfRange, withCode } from '../errors.js';
import { validateFunction, validateInteger } from '../validate.js';

const C = native.constants;

/** A signal name ('SIGUSR1', 'SIGRTMIN+3', 'SIGRTMAX-1') or number. */
export type SignalName = NodeJS.Signals | `SIGRTMIN${'' | `+${number}`}` | `SIGRTMAX${'' | `-${number}`}`;

/** The first and last real-time signal numbers (glibc's SIGRTMIN / SIGRTMAX: 34 and 64). */
export const SIGRTMIN: number = C.SIGRTMIN;
export const SIGRTMAX: number = C.SIGRTMAX;
/** SIGRTMIN+5: reserved by rxipc (waiter-thread cancellation); refused everywhere here. */
export const RESERVED_SIGNAL: number = C.RXIPC_CANCEL_SIGNAL;

function unknownSignal(value: string): TypeError & { code: string } {
  return withCode(new TypeError(`Unknown signal: ${value}`), 'ERR_UNKNOWN_SIGNAL');
}

/**
 * The number of a signal name or number (0 allowed: the "does it exist" probe of kill).
 * Unknown names are a TypeError with code ERR_UNKNOWN_SIGNAL, as in Node's process.kill.
 *
 * @example
 * signalNumber('SIGRTMIN+2'); // 36
 */
export function signalNumber(signal: SignalName | number): number {
  return signalNumberOf(signal, 'signal');
}

/** @internal signalNumber, naming the argument in its errors. */
export function signalNumberOf(signal: unknown, name: string): number {
  if (typeof signal === 'number') return validateInteger(signal, name, 0, SIGRTMAX);
  if (typeof signal !== 'string') throw invalidArgType(name, 'a signal name (string) or number', signal);
  const std = (osConstants.signals as Record<string, number>)[signal];
  if (std !== undefined) return std;
  const m = /^SIGRT(MIN|MAX)(?:([+-])(\d{1,2}))?$/.exec(signal);
  if (!m) throw unknownSignal(signal);
  const base = m[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
  const off = m[3] === undefined ? 0 : Number(m[3]);
  if (off !== 0 && ((m[1] === 'MIN') !== (m[2] === '+'))) throw unknownSignal(signal);
  const n = m[1] === 'MIN' ? base + off : base - off;
  if (n < SIGRTMIN || n > SIGRTMAX) throw unknownSignal(signal);
  return n;
}

/**
 * A signal's name: 'SIGUSR1', 'SIGRTMIN+3'.
 *
 * @example
 * signalName(10); // 'SIGUSR1'
 */
export function signalName(signo: number): string {
  validateInteger(signo, 'signo', 0, SIGRTMAX);
  for (const [k, v] of Object.entries(osConstants.signals)) if (v === signo && k !== 'SIGIOT' && k !== 'SIGPOLL') return k;
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) return signo === SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${signo - SIGRTMIN}`;
  return String(signo);
}

function validatePid(pid: unknown): number {
  // > 0 only: a group (0, negative) or every process (-1) is never what a typo should reach.
  return validateInteger(pid, 'pid', 1, 2 ** 31 - 1);
}

/**
 * kill(2): sends a signal to one process. ESRCH (no such process) and EPERM are system errors
 * with `code`, `errno`, `syscall: 'kill'`; an unknown name is a TypeError (ERR_UNKNOWN_SIGNAL).
 *
 * @example
 * kill(child.pid, 'SIGUSR1');
 */
export function kill(pid: number, signal: SignalName | number = 'SIGTERM'): void {
  const p = validatePid(pid);
  const s = signalNumberOf(signal, 'signal');
  native.kill(p, s);
}

/**
 * sigqueue(3): sends a signal with an integer value. With a real-time signal the receiver
 * gets the value and this process's pid ({@link watchRealtimeSignal}, rx `signals()`), and
 * the kernel queues every one instead of merging them.
 *
 * @example
 * sigqueue(child.pid, 'SIGRTMIN+1', 42);
 */
export function sigqueue(pid: number, signal: SignalName | number, value: number): void {
  const p = validatePid(pid);
  const s = signalNumberOf(signal, 'signal');
  const v = validateInteger(value, 'value', -(2 ** 31), 2 ** 31 - 1);
  native.sigqueue(p, s, v);
}

/** A received real-time signal. */
export interface RealtimeSignal {
  signal: string;
  signo: number;
  /** The sender's pid (si_pid). */
  pid: number;
  /** The sender's real uid (si_uid). */
  uid: number;
  /** sigqueue's value; 0 after kill(). */
  value: number;
  /** Whether it came from sigqueue (SI_QUEUE) rather than kill (SI_USER). */
  queued: boolean;
}

/** A real-time signal number, refusing the one rxipc reserves. */
export function realtimeSignalNumber(signal: unknown, name = 'signal'): number {
  const n = signalNumberOf(signal, name);
  if (n === RESERVED_SIGNAL) {
    throw outOfRange(name, `a real-time signal other than SIGRTMIN+5 (${RESERVED_SIGNAL}), which rxipc reserves for cancelling its waiter threads`, signal);
  }
  if (n < SIGRTMIN || n > SIGRTMAX) throw outOfRange(name, `a real-time signal (SIGRTMIN..SIGRTMAX, ${SIGRTMIN}..${SIGRTMAX})`, signal);
  return n;
}

/** Stops a watch: call it (or dispose it) once. */
export interface SignalWatch {
  (): void;
  [Symbol.dispose](): void;
}

/**
 * Calls `listener` for every delivery of a real-time signal to this process, with the
 * sender's pid, uid and sigqueue value. Every signal sent arrives (real-time signals queue,
 * none is merged); two that the kernel hands to different threads at the same moment may be
 * reported in either order, so carry a sequence number in the value when order matters. While any watch of a signal lives, its default
 * action (terminate) is replaced; the last watch to stop puts the previous disposition
 * back. One environment (main thread or worker) at a time may watch (EBUSY otherwise), and
 * a signal someone else installed a handler for is EBUSY too. The watch keeps the process
 * alive unless `unref` is set.
 *
 * @example
 * const stop = watchRealtimeSignal('SIGRTMIN+1', (s) => console.log(s.pid, s.value));
 * // ... later
 * stop();
 */
export function watchRealtimeSignal(signal: SignalName | number, listener: (signal: RealtimeSignal) => void, options?: { unref?: boolean }): SignalWatch {
  const signo = realtimeSignalNumber(signal);
  validateFunction(listener, 'listener');
  const unref = options?.unref === true;
  const name = signalName(signo);
  const id = native.signalWatch(signo, (info: RealtimeSignalInfo) => {
    listener({ signal: name, signo: info.signo, pid: info.pid, uid: info.uid, value: info.value, queued: info.code === -1 });
  });
  if (unref) native.signalRef(false);
  let stopped = false;
  const stop = (() => {
    if (stopped) return;
    stopped = true;
    native.signalUnwatch(id);
  }) as SignalWatch;
  stop[Symbol.dispose] = stop;
  return stop;
}
