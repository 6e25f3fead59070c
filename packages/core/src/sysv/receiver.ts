// The one delivery loop of System V messages, shared by receive(), the read stream and
// @rxipc/rx's messages(): a kernel-filtered receiver on its own waiter thread (one blocking
// msgrcv, then whatever else is queued, up to its batch size and credit, handed over as
// one batch), delivered one message at a time to a Consumer.
//
// Taken means delivered or returned:
// - a message goes to the consumer while it is open; from the first message it no longer
//   takes, the rest of the batch goes to the queue's backlog (put back), never dropped;
// - a message that arrives as its wait is cancelled is delivered if the consumer is still
//   open (receive() resolves with it), else returned;
// - the backlog of a queue object is served first to a new consumer whose selector matches;
// - credit bounds what is out of the kernel: outstanding credit plus the object's backlog
//   never exceed this subscription's budget, except that a subscription with nothing
//   outstanding may always take one message (so it cannot stall behind a backlog that only
//   room in the queue can drain).
import { native, tasks } from '@rxipc/native';

import { errnos, systemError } from '../errors.js';
import type { Lifecycle, Pending } from '../lifecycle.js';
import { exitHook, type Backlog, type InDelivery, type ValidSelector } from './backlog.js';
import { parseRecords, type Message } from './records.js';

export interface Consumer {
  /** Whether it still takes messages. Once false, the rest goes back to the queue. */
  readonly open: boolean;
  /** One message. A throw puts the rest of the batch back and propagates. */
  next(message: Message): void;
  /** The receiver is done: `error` is the kernel's (EIDRM, E2BIG, ...), undefined after close(). */
  end(error: Error | undefined): void;
  /** The queue was removed or closed while waiting (Pending.cancel). */
  cancelled?(removed: Error | undefined): void;
}

export interface SubscriptionOptions {
  /** Most messages handed over per callback. */
  batch: number;
  /** Most messages out of the kernel and not yet delivered (the budget). */
  credit: number;
  /** Stop after the first message (receive()). */
  once?: boolean;
  /** Give back credit after each delivery (a push consumer: messages()). */
  autoCredit?: boolean;
}

/** What a subscription needs of its queue object. */
export interface QueueContext {
  readonly id: number;
  readonly life: Lifecycle;
  readonly backlog: Backlog;
}

export class Subscription implements Pending, InDelivery {
  readonly settled: Promise<void>;
  readonly #q: QueueContext;
  readonly #sel: ValidSelector;
  readonly #opts: SubscriptionOptions;
  readonly #consumer: Consumer;
  #settle!: () => void;
  #id = 0; // native task, once started
  #closed = false;
  #ended = false;
  /** Backlog messages on their way to the consumer (a microtask away). */
  #serving = false;
  #refed = true;
  /** Credit asked for and not yet granted (waiting for the backlog to shrink). */
  #wanted = 0;
  /** Credit granted to the thread and not yet delivered. */
  #outstanding = 0;
  #untrack: () => void;
  #unshrink: (() => void) | undefined;
  /** Releases the backlog's hold once this cancelled receiver is done. */
  #release: (() => void) | undefined;
  /** The batch being delivered and the next index (for exit). */
  #batch: Message[] | undefined;
  #next = 0;

  constructor(q: QueueContext, sel: ValidSelector, opts: SubscriptionOptions, consumer: Consumer) {
    this.#q = q;
    this.#sel = sel;
    this.#opts = opts;
    this.#consumer = consumer;
    this.settled = new Promise((resolve) => (this.#settle = resolve));
    this.#untrack = q.life.track(this);
    // Registered for its whole life (not per delivery: a Set that grows and shrinks around
    // every delivery rehashes each time); at exit, flushForExit() returns a batch in hand.
    exitHook.watch();
    exitHook.subscriptions.add(this);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Asks for `credit` messages: from what the object holds for this selector first, then from the kernel. */
  start(credit = this.#opts.credit): void {
    this.credit(credit);
  }

  /** Credit granted to the thread and not yet delivered (the backlog counts it while this closes). */
  get outstanding(): number {
    return this.#outstanding;
  }

  /** Allows `n` more messages out of the kernel, within the budget. */
  credit(n: number): void {
    if (this.#ended || this.#closed || n <= 0) return;
    this.#wanted += n;
    this.#grant();
  }

  /** Whether a waiting receiver keeps the event loop alive (default: yes). */
  ref(ref: boolean): void {
    this.#refed = ref;
    if (this.#id !== 0 && !this.#ended) tasks.setRef(this.#id, ref);
  }

  /** Cancels the wait (within milliseconds); the consumer's end() follows. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wanted = 0;
    this.#unshrink?.();
    if (this.#id !== 0 && !this.#ended) {
      this.#release = this.#q.backlog.hold(this);
      tasks.cancel(this.#id);
    } else if (!this.#ended && !this.#batch) this.#finish(undefined); // never started: nothing to wait for
  }

  /** Pending: close() or remove() of the queue object. */
  cancel(removed?: Error): void {
    this.#consumer.cancelled?.(removed);
    this.close();
  }

  flushForExit(): void {
    if (this.#batch) {
      this.#q.backlog.add(this.#batch.slice(this.#next));
      this.#batch = undefined;
    }
  }

  #grant(): void {
    if (this.#ended || this.#closed || this.#serving) return;
    // Served first: what the object holds for consumers that left goes to this one. Never
    // synchronously (a subscriber may not have its subscription in hand yet), and still
    // ahead of any kernel batch, which arrives through the event loop.
    if (this.#wanted > 0 && this.#q.backlog.size > 0) {
      const served = this.#q.backlog.take(this.#sel, this.#opts.once ? 1 : this.#wanted);
      if (served.length > 0) {
        this.#wanted -= served.length;
        this.#serve(served);
        return;
      }
    }
    const budget = this.#opts.credit - this.#q.backlog.held - this.#outstanding;
    const allowed = this.#outstanding === 0 ? Math.max(1, budget) : budget;
    const g = Math.min(this.#wanted, allowed);
    if (g > 0) {
      this.#wanted -= g;
      this.#outstanding += g;
      if (this.#id === 0) this.#begin(g);
      else native.msgrcvCredit(this.#id, g);
    }
    if (this.#wanted > 0 && !this.#unshrink) {
      this.#unshrink = this.#q.backlog.onShrink(() => this.#grant());
    } else if (this.#wanted === 0 && this.#unshrink) {
      this.#unshrink();
      this.#unshrink = undefined;
    }
  }

  /**
   * A push consumer took `n`: the thread may take as many more. Given back lazily, while the
   * thread still holds at least half the budget, so that a stream of small deliveries makes one
   * native call per half budget rather than one per delivery; the thread never runs dry
   * (whatever it delivers next brings this back here).
   */
  #giveBack(n: number): void {
    if (this.#ended || this.#closed) return;
    this.#wanted += n;
    if (this.#outstanding * 2 < this.#opts.credit) this.#grant();
  }

  #serve(served: Message[]): void {
    this.#serving = true;
    this.#batch = served; // held by this subscription until delivered (or flushed at exit)
    this.#next = 0;
    queueMicrotask(() => {
      this.#serving = false;
      if (this.#batch !== served) return; // flushed at exit
      const all = this.#deliver(served);
      if (this.#opts.once || !all || !this.#consumer.open || this.#closed) {
        if (!this.#closed) this.close();
        else if (this.#id === 0) this.#finish(undefined);
        return;
      }
      if (this.#opts.autoCredit) this.#wanted += served.length;
      this.#grant();
    });
  }

  #begin(credit: number): void {
    const { id, backlog } = this.#q;
    const { type, flags, maxSize, spin } = this.#sel;
    const { batch, once = false } = this.#opts;
    this.#id = tasks.start(
      () => native.msgrcvStart(id, maxSize, type, flags, batch, credit, once, spin),
      (final, errno, records, count) => {
        try {
          if ((count as number) > 0) {
            const ms = parseRecords(records as Uint8Array, count as number);
            this.#outstanding = Math.max(0, this.#outstanding - ms.length);
            if (this.#deliver(ms) && this.#opts.autoCredit) this.#giveBack(ms.length);
          }
        } finally {
          if (final) {
            const err = errno === 0 || errno === errnos.ECANCELED ? undefined : this.#q.life.normalize(systemError(errno, 'msgrcv'));
            if (err?.code === 'EIDRM') backlog.clear();
            this.#finish(err);
          }
        }
      },
    );
    if (!this.#refed) tasks.setRef(this.#id, false);
  }

  /** Hands `ms` to the consumer in order; returns whether it took them all. */
  #deliver(ms: Message[]): boolean {
    this.#batch = ms;
    try {
      for (this.#next = 0; this.#next < ms.length; ) {
        if (!this.#consumer.open) {
          this.#q.backlog.add(ms.slice(this.#next));
          return false;
        }
        this.#consumer.next(ms[this.#next++]!);
      }
      return true;
    } catch (err) {
      this.#q.backlog.add(ms.slice(this.#next)); // a handler threw: the rest goes back
      throw err;
    } finally {
      this.#batch = undefined;
      if (this.#ended) exitHook.subscriptions.delete(this);
    }
  }

  #finish(err: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#unshrink?.();
    this.#untrack();
    if (!this.#batch) exitHook.subscriptions.delete(this);
    try {
      this.#consumer.end(err);
    } finally {
      this.#release?.();
      this.#settle();
    }
  }
}
