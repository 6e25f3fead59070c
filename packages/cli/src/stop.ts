// How a long-running command (tail, watch, top) is asked to stop: SIGINT, SIGTERM, SIGHUP, or
// its output going away (EPIPE: the reader of a pipe quit, as `| head` does).

const stoppers = new Set<() => void>();
let outputGone = false;

/**
 * Calls `stop` once on the first of the signals or a closed stdout; returns the undo.
 *
 * @example
 * const off = onStop(() => sub.unsubscribe());
 */
export function onStop(stop: () => void): () => void {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    off();
    stop();
  };
  const off = () => {
    for (const s of signals) process.off(s, once);
    stoppers.delete(once);
  };
  for (const s of signals) process.on(s, once);
  stoppers.add(once);
  if (outputGone) queueMicrotask(once);
  return off;
}

/**
 * Runs a subscription until it is stopped — by a signal, a closed stdout, or the `stop` it is
 * given (its own end: a count reached, an error) — then unsubscribes and settles.
 *
 * @example
 * await runUntilStopped((stop) => messages(q).subscribe({ next: print, error: stop }));
 */
export function runUntilStopped(start: (stop: () => void) => Unsubscribable): Promise<void> {
  return new Promise<void>((resolve) => {
    let sub: Unsubscribable | undefined;
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      off();
      sub?.unsubscribe();
      resolve();
    };
    const off = onStop(stop);
    sub = start(stop);
    if (stopped) sub.unsubscribe(); // stopped while subscribing
  });
}

/** What a subscription gives back. */
interface Unsubscribable {
  unsubscribe(): void;
}

/** stdout failed (EPIPE): nothing more can be shown, so every running command stops. */
export function outputClosed(): void {
  outputGone = true;
  for (const s of [...stoppers]) s();
}

export function isOutputClosed(): boolean {
  return outputGone;
}
