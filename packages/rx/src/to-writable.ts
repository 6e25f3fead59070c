import type { Writable } from 'node:stream';

import { Observable, type OperatorFunction } from 'rxjs';

import {
  invalidArgValue,
  prematureClose,
  streamDestroyed,
  validateBoolean,
  validateOptions,
  validateWritable,
} from '@rxipc/core/internal';

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

/** The error for a value write() threw on: its own, or, without a code, one that has a code. */
function refused(err: unknown, value: unknown): unknown {
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') return err;
  return Object.assign(invalidArgValue('chunk', 'was refused by the stream', value), { cause: err });
}

/**
 * Writes every value of the source into a Writable (a pipe end, a FIFO, a message queue
 * write stream) and re-emits it once the stream accepted it. Backpressure: when `write()`
 * returns false, values wait in order for 'drain' (RxJS cannot slow a push source down, so
 * they wait here, not in the kernel). Completes after the stream finished (with `end`).
 * A stream that fails, was destroyed, or closes while values still wait errors the
 * Observable (its own error, ERR_STREAM_DESTROYED or ERR_STREAM_PREMATURE_CLOSE), and so
 * does a value `write()` refuses by throwing (a number into a byte stream:
 * ERR_INVALID_ARG_TYPE): that value is neither written nor re-emitted, and nothing after it
 * is written. Unsubscribing stops writing; the stream is left to its owner.
 * A `stream` that is not a Writable, or bad `options`, throw at the call.
 *
 * @example
 * interval(10).pipe(map(String), take(5), toWritable(writable)).subscribe();
 */
export function toWritable<T>(stream: Writable, options?: ToWritableOptions): OperatorFunction<T, T> {
  validateWritable<Writable>(stream);
  const opts = validateOptions<ToWritableOptions>(options);
  const end = opts.end === undefined ? true : validateBoolean(opts.end, 'options.end');
  return (source) =>
    new Observable<T>((subscriber) => {
      const waiting: T[] = [];
      let blocked = false;
      let sourceDone = false;
      // A destroyed stream emits neither 'drain' nor 'error' for later writes, and never
      // calls back a later end(): without this check those values would wait forever.
      const broken = (call: string): Error | null =>
        stream.errored ?? (stream.destroyed ? streamDestroyed(call) : null);
      const onError = (err: Error) => subscriber.error(err);
      // 'close' after an 'error' finds the subscriber already errored; after our own end()
      // it finds the subscription torn down (end's callback runs before 'close').
      const onClose = () => subscriber.error(prematureClose('The stream closed before every value was written'));
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
        if (err) {
          subscriber.error(err);
          return;
        }
        try {
          stream.end((e?: Error | null) => (e ? subscriber.error(e) : subscriber.complete()));
        } catch (e) {
          subscriber.error(e);
        }
      };
      const flush = () => {
        // `subscriber.closed`: an error, or a downstream unsubscribe during next(), stops writing.
        while (!blocked && waiting.length > 0 && !subscriber.closed) {
          const err = broken('write');
          if (err) {
            subscriber.error(err);
            return;
          }
          const v = waiting.shift() as T;
          // write() throws for a chunk the stream cannot take (ERR_INVALID_ARG_TYPE,
          // ERR_STREAM_NULL_VALUES): the value was not written, so it is not re-emitted.
          try {
            blocked = !stream.write(v);
          } catch (e) {
            subscriber.error(refused(e, v));
            return;
          }
          subscriber.next(v);
        }
        if (subscriber.closed) return;
        if (blocked) stream.once('drain', onDrain);
        else if (sourceDone) finish();
      };
      stream.once('error', onError);
      stream.once('close', onClose);
      const sub = source.subscribe({
        // A synchronous source keeps calling next/complete until the teardown below is in
        // place: after an error, those calls must write and end nothing.
        next: (v) => {
          if (subscriber.closed) return;
          waiting.push(v);
          if (!blocked) flush();
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          if (subscriber.closed) return;
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
