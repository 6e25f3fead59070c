import { Fifo, type FifoReadableOptions, type PipeReadable } from '@rxipc/core';
import { Observable } from 'rxjs';

/**
 * Opens the FIFO at `path` for reading when subscribed and emits its chunks. Unsubscribing
 * aborts a pending open (no thread is left waiting for a writer) or closes the fd.
 *
 * @example
 * fromFifo('/tmp/f', { keepOpen: true }).subscribe((b) => process.stdout.write(b));
 */
export function fromFifo(path: string, options: Omit<FifoReadableOptions, 'signal'> = {}): Observable<Buffer> {
  return new Observable<Buffer>((subscriber) => {
    const ac = new AbortController();
    let stream: PipeReadable | undefined;
    let closed = false;
    const onData = (chunk: Buffer) => subscriber.next(chunk);
    const onEnd = () => subscriber.complete();
    const onError = (err: Error) => subscriber.error(err);
    Fifo.openReadable(path, { ...options, signal: ac.signal }).then(
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
