import { Fifo, type FifoReadableOptions, type PipeReadable } from '@rxipc/core';
import { invalidArgValue, validateBoolean, validateInteger, validateOptions, validatePath, validateTimeout } from '@rxipc/core/internal';
import { Observable } from 'rxjs';

/**
 * Opens the FIFO at `path` for reading when subscribed and emits its chunks. Unsubscribing
 * aborts a pending open (no thread is left waiting for a writer) or closes the fd.
 * A bad `path` or `options` throws at the call; a failed open (ENOENT, ERR_RXIPC_NOT_FIFO,
 * ETIMEDOUT) is an error notification.
 *
 * @example
 * fromFifo('/tmp/f', { keepOpen: true }).subscribe((b) => process.stdout.write(b));
 */
export function fromFifo(path: string, options?: Omit<FifoReadableOptions, 'signal'>): Observable<Buffer> {
  validatePath(path);
  const opts = validateOptions<FifoReadableOptions>(options);
  // Checked now, as openReadable would check them at each subscription.
  if (opts.keepOpen !== undefined) validateBoolean(opts.keepOpen, 'options.keepOpen');
  if (opts.highWaterMark !== undefined) validateInteger(opts.highWaterMark, 'options.highWaterMark', 0, 2 ** 31 - 1);
  validateTimeout(opts.timeout, 'options.timeout');
  // Unsubscribing is how a subscription gives up: a signal of the caller's own would be ignored.
  if (opts.signal !== undefined) throw invalidArgValue('options.signal', 'is not supported (unsubscribe instead)', opts.signal);
  return new Observable<Buffer>((subscriber) => {
    const ac = new AbortController();
    let stream: PipeReadable | undefined;
    let closed = false;
    const onData = (chunk: Buffer) => subscriber.next(chunk);
    const onEnd = () => subscriber.complete();
    const onError = (err: Error) => subscriber.error(err);
    Fifo.openReadable(path, { ...opts, signal: ac.signal }).then(
      (s) => {
        if (closed) {
          s.destroy();
          return;
        }
        stream = s;
        s.on('data', onData);
        s.once('end', onEnd);
        s.once('error', onError);
      },
      (err: Error) => {
        if (!closed) subscriber.error(err);
      },
    );
    return () => {
      closed = true;
      ac.abort();
      if (stream) {
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.off('error', onError);
        stream.destroy();
      }
    };
  });
}
