import type { Writable } from 'node:stream';

import { Observable, type OperatorFunction } from 'rxjs';

/**
 * How `toWritable` treats the stream when the source completes.
 *
 * @example
 * const options: ToWritableOptions = { end: false }; // keep the stream open for more
 */
export interface ToWritableOptions {
  /** End the stream when the source completes (default true). */
  end?: boolean;
}

function streamError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/**
 * Writes every value of the source into a Writable (a pipe end, a FIFO, a message queue
 * write stream) and re-emits it once the stream accepted it. Backpressure: when `write()`
 * returns false, values wait in order for 'drain' (RxJS cannot slow a push source down, so
 * they wait here, not in the kernel). Completes after the stream finished (with `end`).
 * A stream that fails, was destroyed, or closes while values still wait errors the
 * Observable (its own error, ERR_STREAM_DESTROYED or ERR_STREAM_PREMATURE_CLOSE).
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
      // A destroyed stream emits neither 'drain' nor 'error' for later writes, and never
      // calls back a later end(): without this check those values would wait forever.
      const broken = (call: string): Error | null =>
        stream.errored ?? (stream.destroyed ? streamError('ERR_STREAM_DESTROYED', `Cannot call ${call} after a stream was destroyed`) : null);
      const onError = (err: Error) => subscriber.error(err);
      // 'close' after an 'error' finds the subscriber already errored; after our own end()
      // it finds the subscription torn down (end's callback runs before 'close').
      const onClose = () => subscriber.error(streamError('ERR_STREAM_PREMATURE_CLOSE', 'The stream closed before every value was written'));
      const onDrain = () => {
        blocked = false;
        flush();
      };
      const finish = () => {
        if (!end) {
          subscriber.complete();
          return;
        }
        const err = broken('end');
        if (err) subscriber.error(err);
        else stream.end((e?: Error | null) => (e ? subscriber.error(e) : subscriber.complete()));
      };
      const flush = () => {
        while (!blocked && waiting.length > 0) {
          const err = broken('write');
          if (err) {
            subscriber.error(err);
            return;
          }
          const v = waiting.shift() as T;
          blocked = !stream.write(v);
          subscriber.next(v);
        }
        if (blocked) stream.once('drain', onDrain);
        else if (sourceDone) finish();
      };
      stream.once('error', onError);
      stream.once('close', onClose);
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
        stream.off('close', onClose);
        stream.off('drain', onDrain);
      };
    });
}
