import { native, tasks } from '@rxipc/native';

import { systemError } from '../errors.js';
import { parseRecords, type Message } from './records.js';

export interface ReceiverSpec {
  msqid: number;
  /** 0: any; > 0: exactly this type (or any other, with MSG_EXCEPT); < 0: lowest type <= |type|. */
  type: number;
  /** MSG_EXCEPT | MSG_NOERROR. */
  flags: number;
  maxSize: number;
  /** Most messages handed over per callback. */
  batch: number;
  /** How many messages may be taken out of the kernel before more credit is given. */
  credit: number;
  /** Stop after the first batch. */
  once?: boolean;
}

export interface ReceiverSink {
  /** A batch, in queue order. */
  messages(batch: Message[]): void;
  /** The receiver is done: `error` is the kernel's (EIDRM, E2BIG, ...), undefined after close(). */
  end(error: Error | undefined): void;
}

/**
 * A kernel-filtered receiver on its own waiter thread: one blocking msgrcv, then whatever
 * else is queued (IPC_NOWAIT) up to its batch size and credit, handed over as one batch.
 * Taking messages out of the kernel stops when the credit runs out: the kernel queue is
 * the buffer.
 *
 * After close(), batches the thread had already taken are given to `putBack` instead of
 * the sink: nothing is dropped.
 */
export class Receiver {
  readonly #id: number;
  #closed = false;
  #ended = false;

  constructor(spec: ReceiverSpec, sink: ReceiverSink, putBack: (batch: Message[]) => void) {
    this.#id = tasks.start(
      () => native.msgrcvStart(spec.msqid, spec.maxSize, spec.type, spec.flags, spec.batch, spec.credit, spec.once ?? false),
      (final, errno, records, count) => {
        try {
          if ((count as number) > 0) {
            const batch = parseRecords(records as Buffer, count as number);
            if (this.#closed) putBack(batch);
            else sink.messages(batch);
          }
        } finally {
          if (final) {
            this.#ended = true;
            sink.end(errno === 0 ? undefined : systemError(errno, 'msgrcv'));
          }
        }
      },
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Allows `n` more messages out of the kernel (Infinity: no limit). */
  credit(n: number): void {
    if (!this.#ended && n > 0) native.msgrcvCredit(this.#id, n);
  }

  /** Whether a waiting receiver keeps the event loop alive (default: yes). */
  ref(ref: boolean): void {
    if (!this.#ended) tasks.setRef(this.#id, ref);
  }

  /** Cancels the wait (within milliseconds); the sink's end() follows. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#ended) tasks.cancel(this.#id);
  }
}
