// How the command fails: a usage error (exit 2) or an operational one (exit 1), each one line.

/** Wrong command line: printed with a pointer to --help, exit 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** An operation failed in a way the user should read as one line (exit 1). */
export class CliError extends Error {
  readonly exitCode = 1;
}

interface Coded {
  code?: unknown;
  syscall?: unknown;
  message: string;
}

/**
 * One line for any error: system errors keep Node's face (`CODE: description, syscall`) and
 * gain the object they concern (`(key 0x000004d2)`); misuse errors from the library (ERR_*)
 * are usage errors. Anything else is a bug and keeps its stack.
 */
export function describe(err: unknown, object: string | undefined): { line: string; exitCode: number } {
  if (err instanceof UsageError || err instanceof CliError) return { line: err.message, exitCode: err.exitCode };
  const e = err as Coded;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  // Misuse the library caught before any syscall (a value it rejects) is a usage error.
  if (code !== undefined && (code.startsWith('ERR_PARSE_ARGS') || ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE'].includes(code))) {
    return { line: e.message.replace(/^TypeError \[[A-Z_]+\]: /, ''), exitCode: 2 };
  }
  if (code !== undefined && typeof e.syscall === 'string') {
    return { line: `${e.message}${object ? ` (${object})` : ''}${hint(code, e.syscall)}`, exitCode: 1 };
  }
  if (code !== undefined) return { line: e.message.startsWith(code) ? e.message : `${code}: ${e.message}`, exitCode: 1 };
  return { line: (err as Error)?.stack ?? String(err), exitCode: 1 };
}

function hint(code: string, syscall: string): string {
  if (code === 'ENOSYS' && syscall === 'msgrcv') {
    return ': this kernel has no MSG_COPY (built without CONFIG_CHECKPOINT_RESTORE), so peek cannot read a queue without consuming it';
  }
  return '';
}
