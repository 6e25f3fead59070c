import { SemaphoreSet } from '@rxipc/core';
import { validateBoolean, validateFunction, validateInstance, validateInteger, validateOptions, withCode } from '@rxipc/core/internal';
import { from, Observable, type ObservableInput, type OperatorFunction, type Subscription } from 'rxjs';

/**
 * How {@link withSemaphore} holds the semaphore.
 *
 * @example
 * const options: WithSemaphoreOptions = { count: 1, undo: true };
 */
export interface WithSemaphoreOptions {
  /** Units held around each value's work (1..32767, default 1). */
  count?: number;
  /** SEM_UNDO on the acquire and the release (default true): a killed process gives them back. */
  undo?: boolean;
}

/**
 * Runs each value's inner work while holding semaphore `index` of `sem`: **mergeMap shape**
 * (inner works run concurrently, as many at once as the semaphore's value lets — across all
 * processes — and their values are re-emitted as they come). Values line up in arrival order
 * and take the semaphore one after another; only the head of the line waits in the kernel,
 * so a burst of values costs one waiter thread, not one per value. Each inner work
 * (`project(value)`, any ObservableInput) is subscribed once its value holds the semaphore;
 * the semaphore is released when that work completes, errors, or is unsubscribed (also when
 * the whole Observable errors or is unsubscribed). The head's wait is given up on
 * unsubscribe, and by SemaphoreSet's cancel rule a wait that is given up holds nothing: it
 * never releases what it did not acquire. With a binary semaphore (value 1) this is a lock
 * across processes; with a value of N, at most N inner works run at once, system-wide.
 * Completes when the source and every inner work have completed. Arguments are validated at
 * the call (TypeError / RangeError); failures of the set (EIDRM, ERR_RXIPC_CLOSED) are error
 * notifications, and so is a `project` result that is not an ObservableInput
 * (ERR_INVALID_RETURN_VALUE).
 *
 * @example
 * jobs$.pipe(withSemaphore(sem, 0, (job) => runJob(job))).subscribe(console.log);
 */
export function withSemaphore<T, R>(
  sem: SemaphoreSet,
  index: number,
  project: (value: T, i: number) => ObservableInput<R>,
  options?: WithSemaphoreOptions,
): OperatorFunction<T, R> {
  validateInstance(sem, SemaphoreSet, 'sem');
  validateInteger(index, 'index', 0, sem.size - 1);
  validateFunction(project, 'project');
  const opts = validateOptions<WithSemaphoreOptions>(options);
  const count = opts.count === undefined ? 1 : validateInteger(opts.count, 'options.count', 1, 32767);
  const undo = opts.undo === undefined ? true : validateBoolean(opts.undo, 'options.undo');
  const release = () => sem.release(index, count, { undo });
  return (source) =>
    new Observable<R>((subscriber) => {
      // Invariants: `line` holds values that do not hold the semaphore, in arrival order;
      // `head` is set while line[0] waits in the kernel (at most one wait at a time);
      // `running` holds the teardown of every inner work that holds the semaphore.
      const line: Array<{ value: T; i: number }> = [];
      const running = new Set<() => void>();
      let head: AbortController | undefined;
      let sourceDone = false;
      let n = 0;
      let stopped = false;

      const fail = (err: unknown) => {
        if (!stopped) subscriber.error(err);
      };
      const maybeComplete = () => {
        if (sourceDone && line.length === 0 && running.size === 0 && !stopped) subscriber.complete();
      };

      /** Subscribes to the inner work of a value that now holds the semaphore. */
      const run = (value: T, i: number) => {
        let held = true;
        let inner: Subscription | undefined;
        const letGo = () => {
          if (!held) return;
          held = false;
          running.delete(letGo);
          inner?.unsubscribe();
          try {
            release();
          } catch {
            /* the set is gone or closed: nothing is held any more */
          }
        };
        /** The inner work ended; `err`: it (or its release) failed. */
        const end = (err?: unknown) => {
          if (!held) return;
          held = false;
          running.delete(letGo);
          try {
            release();
          } catch (e) {
            err ??= e;
          }
          if (err !== undefined) fail(err);
          else maybeComplete();
        };
        running.add(letGo);
        let input: ObservableInput<R>;
        try {
          input = project(value, i);
        } catch (err) {
          end(err);
          return;
        }
        let sub: Subscription;
        try {
          sub = from(input).subscribe({
            next: (r) => subscriber.next(r),
            error: (err: unknown) => end(err),
            complete: () => end(),
          });
        } catch (err) {
          // Not an ObservableInput: RxJS's TypeError, given Node's code for it.
          end(withCode(new TypeError(`withSemaphore: project must return an ObservableInput (${(err as Error).message})`), 'ERR_INVALID_RETURN_VALUE'));
          return;
        }
        if (held) inner = sub;
        else sub.unsubscribe();
      };

      /** Lets the line take the semaphore: at once while it can, else the head waits. */
      const pump = () => {
        while (line.length > 0 && head === undefined && !stopped) {
          let got: boolean;
          try {
            got = sem.tryAcquire(index, { count, undo });
          } catch (err) {
            fail(err);
            return;
          }
          if (got) {
            const { value, i } = line.shift()!;
            run(value, i);
            continue;
          }
          const wait = new AbortController();
          head = wait;
          sem.acquire(index, { count, undo, signal: wait.signal }).then(
            () => {
              head = undefined;
              if (stopped) {
                // Torn down between the grant and this callback: give it back.
                try {
                  release();
                } catch {
                  /* the set is gone or closed */
                }
                return;
              }
              const { value, i } = line.shift()!;
              run(value, i);
              pump();
            },
            (err: unknown) => {
              head = undefined;
              if (!wait.signal.aborted) fail(err);
            },
          );
        }
        maybeComplete();
      };

      const sourceSub = source.subscribe({
        next: (value) => {
          line.push({ value, i: n++ });
          pump();
        },
        error: (err: unknown) => fail(err),
        complete: () => {
          sourceDone = true;
          maybeComplete();
        },
      });
      return () => {
        stopped = true;
        sourceSub.unsubscribe();
        // The wait is given up before anything is released, so that a release here wakes
        // other processes rather than this Observable's own wait.
        head?.abort();
        line.length = 0;
        for (const letGo of [...running]) letGo();
      };
    });
}
