import { constants as osConstants } from 'node:os';

// The one module that builds rxipc's errors (rx reuses it through @rxipc/core/internal):
// system errors come from @rxipc/native's `systemError`, the same builder the addon calls;
// misuse errors (TypeError / RangeError with Node's ERR_* codes) and rxipc's own ERR_RXIPC_*
// errors are built below.
import { systemError, type SystemError } from '@rxipc/native';

export { systemError, type SystemError };

const { ECANCELED, ETIMEDOUT, EIDRM, EINVAL } = osConstants.errno;
const ERRNO = { ECANCELED, ETIMEDOUT, EIDRM, EINVAL } as const;
export { ERRNO as errnos };

/**
 * True when `err` is a system error, optionally with the given `code`.
 *
 * @example
 * try { q.trySend(1, 'x'); } catch (err) { if (isSystemError(err, 'EIDRM')) console.log('queue removed'); }
 */
export function isSystemError(err: unknown, code?: string): err is SystemError {
  return (
    err instanceof Error &&
    typeof (err as SystemError).errno === 'number' &&
    typeof (err as SystemError).syscall === 'string' &&
    (code === undefined || (err as SystemError).code === code)
  );
}

/**
 * Node's AbortError: `name` 'AbortError', `code` 'ABORT_ERR', the signal's reason as `cause`.
 * Every rxipc wait rejects with one when its `signal` aborts.
 *
 * @example
 * await q.receive({ signal }).catch((err) => { if (err.name !== 'AbortError') throw err; });
 */
export function abortError(signal?: AbortSignal): Error {
  const err = new Error('The operation was aborted', signal ? { cause: signal.reason } : undefined);
  err.name = 'AbortError';
  (err as Error & { code: string }).code = 'ABORT_ERR';
  return err;
}

/** Gives `err` a `code`, as Node's own errors carry one (enumerable, like theirs). */
export function withCode<E extends Error>(err: E, code: string): E & { code: string } {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return err as E & { code: string };
}

/** The error for using an object after its `close()`. */
export function closedError(what: string): Error & { code: string } {
  return withCode(new Error(`${what} is closed`), 'ERR_RXIPC_CLOSED');
}

/** The error for reading or writing shared memory after its `detach()`. */
export function detachedError(what: string): Error & { code: string } {
  return withCode(new Error(`${what} is detached: its memory is no longer mapped in this process`), 'ERR_RXIPC_DETACHED');
}

/** The error for writing through a read-only attachment (a JS write there would be a SIGSEGV). */
export function readOnlyError(what: string): Error & { code: string } {
  return withCode(new Error(`${what} is attached read-only: it has no writable buffer`), 'ERR_RXIPC_READ_ONLY');
}

/**
 * A System V semaphore set that another process created but has not initialised yet (its
 * sem_otime is still 0 after the bounded wait of SemaphoreSet.open): `id` names the set.
 */
export function notInitialisedError(what: string, id: number, waitedMs: number): Error & { code: string; id: number } {
  const err = withCode(new Error(`${what} ${id} was not initialised by its creator within ${waitedMs} ms`), 'ERR_RXIPC_NOT_INITIALISED');
  return Object.assign(err, { id });
}

/** A path that exists but is not a FIFO. */
export function notFifoError(path: string, kind: string): Error & { code: string; path: string } {
  const err = withCode(new Error(`'${path}' is not a FIFO (it is ${kind})`), 'ERR_RXIPC_NOT_FIFO');
  return Object.assign(err, { path });
}

/** A value passed where an instance of some class was expected (e.g. a MessageQueue). */
export function invalidInstance(name: string, className: string, actual: unknown): TypeError & { code: string } {
  return invalidArgType(name, `an instance of ${className}`, actual);
}

export function invalidArgType(name: string, expected: string, actual: unknown): TypeError & { code: string } {
  return withCode(new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

export function invalidArgValue(name: string, reason: string, actual: unknown): TypeError & { code: string } {
  return withCode(new TypeError(`The argument '${name}' ${reason}. Received ${describe(actual)}`), 'ERR_INVALID_ARG_VALUE');
}

/** ERR_INVALID_ARG_VALUE as a RangeError (Node uses both): a value outside a set of names. */
export function invalidArgValueRange(name: string, reason: string, actual: unknown): RangeError & { code: string } {
  return withCode(new RangeError(`The argument '${name}' ${reason}. Received ${describe(actual)}`), 'ERR_INVALID_ARG_VALUE');
}

/** Node's ERR_STREAM_DESTROYED: a call (`write`, `end`) on a stream that was destroyed. */
export function streamDestroyed(call: string): Error & { code: string } {
  return withCode(new Error(`Cannot call ${call} after a stream was destroyed`), 'ERR_STREAM_DESTROYED');
}

/** Node's ERR_STREAM_PREMATURE_CLOSE: the stream closed while work was still owed to it. */
export function prematureClose(message = 'Premature close'): Error & { code: string } {
  return withCode(new Error(message), 'ERR_STREAM_PREMATURE_CLOSE');
}

/** A one-shot source (a stream that can be consumed once) subscribed a second time. */
export function alreadySubscribed(what: string): Error & { code: string } {
  return withCode(new Error(`${what}: the stream was already subscribed once`), 'ERR_RXIPC_ALREADY_SUBSCRIBED');
}

/**
 * A codec's `encode` threw (or returned something that is not bytes): `kind` names the
 * schema entry, `cause` is what the codec threw.
 */
export function encodeError(kind: string, cause: unknown): TypeError & { code: string; kind: string } {
  const err = withCode(new TypeError(`cannot encode a '${kind}' value`, { cause }), 'ERR_RXIPC_ENCODE');
  return Object.assign(err, { kind });
}

export function outOfRange(name: string, rule: string, actual: unknown): RangeError & { code: string } {
  const received = typeof actual === 'number' ? String(actual) : describe(actual);
  return withCode(new RangeError(`The value of "${name}" is out of range. It must be ${rule}. Received ${received}`), 'ERR_OUT_OF_RANGE');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return `function ${v.name || '<anonymous>'}`;
  if (typeof v === 'object') {
    const name = (v as object).constructor?.name;
    return name ? `an instance of ${name}` : 'an instance of Object';
  }
  let shown = String(v);
  if (typeof v === 'string') {
    if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
    shown = `'${shown}'`;
  }
  return `type ${typeof v} (${shown})`;
}
