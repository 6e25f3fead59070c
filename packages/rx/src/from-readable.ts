import type { Readable } from 'node:stream';

import { alreadySubscribed, validateReadable } from '@rxipc/core/internal';
import { Observable } from 'rxjs';

/**
 * The chunks of a Readable (a pipe end, a FIFO, any Node stream) as a cold Observable.
 * Unsubscribing destroys the stream, which closes its fd, even if no data ever arrived
 * (unlike RxJS's `from(asyncIterable)`, which cannot release an idle source).
 * The stream is subscribed at most once: a second subscriber gets an error. A stream that
 * already ended or was destroyed completes at once (errors with its error, if it failed).
 * A `stream` that is not a Readable throws at the call; a second subscription errors with
 * `ERR_RXIPC_ALREADY_SUBSCRIBED`.
 *
 * @example
 * const { readable, writable } = createPipe();
 * fromReadable(readable).subscribe((chunk) => console.log(chunk.toString()));
 */
export function fromReadable<T = Buffer>(stream: Readable): Observable<T> {
  validateReadable<Readable>(stream);
  let used = false;
  return new Observable<T>((subscriber) => {
    if (used) {
      subscriber.error(alreadySubscribed('fromReadable'));
      return undefined;
    }
    used = true;
    // A stream that is already over emits nothing more ('end', 'error' and 'close' are
    // behind it): say so now. Teardown still destroys it, releasing its fd.
    if (stream.errored) {
      subscriber.error(stream.errored);
      return () => stream.destroy();
    }
    if (stream.readableEnded || stream.destroyed) {
      subscriber.complete();
      return () => stream.destroy();
    }
    const onData = (chunk: T) => subscriber.next(chunk);
    const onEnd = () => subscriber.complete();
    const onError = (err: Error) => subscriber.error(err);
    const onClose = () => {
      // Closed without 'end' or 'error' (destroyed by someone else): complete.
      if (!subscriber.closed) subscriber.complete();
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
    return () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      stream.destroy();
    };
  });
}
