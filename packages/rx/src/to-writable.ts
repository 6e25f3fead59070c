import type { Writable } from 'node:stream';

import { Observable, type OperatorFunction } from 'rxjs';

export interface ToWritableOptions {
  /** End the stream when the source completes (default true). */
  end?: boolean;
}

/**
 * Writes every value of the source into a Writable (a pipe end, a FIFO, a message queue
 * write stream) and re-emits it once the stream accepted it. Backpressure: when `write()`
 * returns false, values wait in order for 'drain' (RxJS cannot slow a push source down, so
 * they wait here, not in the kernel). Completes after the stream finished (with `end`).
 * Unsubscribing stops writing; the stream is left to its owner.
 *
 * @example
 * interval(10).pipe(map(String), take(5), toWritable(writable)).subscribe();
 */
export function toWritable<T>(stream: Writable, options: ToWritableOptions = {}): OperatorFunction<T, T> {
  const end = options.end ?? true;
  return (source) =>
    new Observable<T>((subscriber) => {
      const waiting: T[] = [];
      let blocked = false;
      let sourceDone = false;
      const onError = (err: Error) => subscriber.error(err);
      const onDrain = () => {
        blocked = false;
        flush();
      };
      const finish = () => {
        if (!end) {
          subscriber.complete();
          return;
        }
        stream.end(() => subscriber.complete());
      };
      const flush = () => {
        while (!blocked && waiting.length > 0) {
          const v = waiting.shift() as T;
          blocked = !stream.write(v);
          subscriber.next(v);
        }
        if (blocked) stream.once('drain', onDrain);
        else if (sourceDone) finish();
      };
      stream.once('error', onError);
      const sub = source.subscribe({
        next: (v) => {
          waiting.push(v);
          if (!blocked) flush();
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (!blocked && waiting.length === 0) finish();
        },
      });
      return () => {
        sub.unsubscribe();
        stream.off('error', onError);
        stream.off('drain', onDrain);
      };
    });
}
