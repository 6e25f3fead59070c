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
 * Runs each value's inner work while holding semaphore `index` of `sem`: **mergeMap shape**.
 * Every value asks for the semaphore as it arrives (values are not queued locally: the
 * kernel decides who goes next, across all processes), then subscribes to `project(value)`
 * and re-emits what it emits. The semaphore is released when that inner work completes,
 * errors, or is unsubscribed (also when the whole Observable errors or is unsubscribed);
 * a value still waiting for the semaphore gives up its wait, and by SemaphoreSet's cancel
 * rule a wait that is given up holds nothing. It never releases what it did not acquire.
 * With a binary semaphore (value 1) this is a lock across processes; with a value of N, at
 * most N inner works run at once, system-wide. Completes when the source and every inner
 * work have completed. Arguments are validated at the call (TypeError / RangeError);
 * failures of the set (EIDRM, ERR_RXIPC_CLOSED) are error notifications, and so is a
 * `project` result that is not an ObservableInput (ERR_INVALID_RETURN_VALUE).
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
  return (source) =>
    new Observable<R>((subscriber) => {
      // Each value's work, by its stop function (teardown: give up the wait / the inner
      // subscription, and release what it holds).
      const works = new Set<(() => void) & { giveUp: () => void }>();
      let sourceDone = false;
      let n = 0;
      const maybeComplete = () => {
        if (sourceDone && works.size === 0) subscriber.complete();
      };
      const start = (value: T) => {
        const i = n++;
        const giveUp = new AbortController();
        let held = false;
        let ended = false;
        let inner: Subscription | undefined;
        /** Releases iff this work holds the semaphore; throws the kernel's error. */
        const release = () => {
          if (!held) return;
          held = false;
          sem.release(index, count, { undo });
        };
        const stop = Object.assign(() => {
          ended = true;
          works.delete(stop);
          giveUp.abort();
          inner?.unsubscribe();
          try {
            release();
          } catch {
            /* the set is gone or closed: nothing is held any more */
          }
        }, { giveUp: () => giveUp.abort() });
        /** The inner work ended (err: it or the release failed). */
        const end = (err?: unknown) => {
          if (ended) return;
          ended = true;
          works.delete(stop);
          try {
            release();
          } catch (e) {
            err ??= e;
          }
          if (err !== undefined) subscriber.error(err);
          else maybeComplete();
        };
        works.add(stop);
        sem.acquire(index, { count, undo, signal: giveUp.signal }).then(
          () => {
            held = true;
            if (ended) {
              // Stopped between the grant and this callback: give it back.
              try {
                release();
              } catch {
                /* the set is gone or closed */
              }
              return;
            }
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
            if (ended) sub.unsubscribe();
            else inner = sub;
          },
          (err: unknown) => {
            if (!ended) end(err);
          },
        );
      };
      const sourceSub = source.subscribe({
        next: start,
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          maybeComplete();
        },
      });
      return () => {
        sourceSub.unsubscribe();
        // Waits are given up before anything is released, so that a release here wakes
        // other processes rather than this Observable's own waits.
        const stops = [...works];
        for (const stop of stops) stop.giveUp();
        for (const stop of stops) stop();
      };
    });
}
