import { native, type NativeConstants } from '@rxipc/native';

/**
 * The Linux flag values the raw calls take (O_*, IPC_*, MSG_*, AT_*, PIPE_BUF, ...).
 *
 * @example
 * Fifo.createAt(constants.AT_FDCWD, 'my.fifo');
 */
export const constants: NativeConstants = Object.freeze({ ...native.constants });

/**
 * The real-time signal that interrupts a waiting syscall on one of rxipc's waiter threads
 * when its wait is cancelled: SIGRTMIN+5 (39 with glibc). Loading the addon (importing
 * @rxipc/core) installs a no-op handler for it process-wide, without SA_RESTART, once: a
 * handler that something else had set for this signal is replaced, and a process that sends
 * it to itself wakes nothing but rxipc's waits. Waiter threads block every other signal.
 *
 * @example
 * if (mySignals.includes(CANCEL_SIGNAL)) throw new Error('pick another real-time signal');
 */
export const CANCEL_SIGNAL: number = native.testing.cancelSignal;
