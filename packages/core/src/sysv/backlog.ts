// The one put-back: messages a queue object took out of the kernel for a consumer that is
// gone. They are held here (never more than the credit budget of one subscription, see
// Subscription), offered first to the next local consumer whose selector matches, and
// otherwise returned to the kernel queue (at its back, in order) as room appears: what
// fits at once synchronously, then one message at a time on a waiter thread, so the rest
// stays here where a new consumer can still take it. Only the queue's removal drops them.
//
// Every change is mirrored into the addon (msgBacklog): a worker that is terminated runs
// no more JS, and its environment's teardown returns the mirror through the addon's
// background put-back; process exit does the same through prepareExit.
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

import { native } from '@rxipc/native';

import { errnos, systemError, type SystemError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import { PendingTask } from '../wait.js';
import { packRecords, type Message } from './records.js';

const { MSG_EXCEPT, MSG_NOERROR } = native.constants;

/** msgrcv arguments after validation. */
export interface ValidSelector {
  type: number;
  flags: number;
  maxSize: number;
  /** µs of IPC_NOWAIT polling before each blocking receive (ReceiveSelector.spin). */
  spin: number;
}

/** How long an exiting process keeps trying to return messages to a full queue. */
export const EXIT_PUT_BACK_MS = 1000;

export class Backlog {
  readonly #qid: number;
  readonly #life: Lifecycle;
  #messages: Message[] = [];
  /** The message being returned on a waiter thread (still held by this object). */
  #sending: PendingTask | undefined;
  readonly #idle: Array<() => void> = [];
  readonly #shrink = new Set<() => void>();
  /** Receivers of this object being cancelled: returning messages now could hand them straight back. */
  readonly #holders = new Set<{ readonly outstanding: number }>();

  constructor(qid: number, life: Lifecycle) {
    this.#qid = qid;
    this.#life = life;
  }

  /** Messages held outside the kernel for no consumer. */
  get size(): number {
    return this.#messages.length + (this.#sending ? 1 : 0);
  }

  /** Takes back messages whose consumer is gone; returns them to the kernel as room appears. */
  add(batch: readonly Message[]): void {
    if (batch.length === 0) return;
    if (this.#life.removed) return; // nowhere left to put them
    // Copies: a batch's messages are views into one receive buffer.
    for (const m of batch) this.#messages.push({ type: m.type, data: Buffer.from(m.data) });
    exitHook.watch();
    this.#mirror();
    this.#pump();
  }

  /**
   * Served first: removes and returns up to `max` held messages that a receive with `sel`
   * would take, in the order the kernel would hand them out.
   */
  take(sel: ValidSelector, max: number): Message[] {
    if (this.#messages.length === 0 || max <= 0) return [];
    const out: Message[] = [];
    const truncate = (sel.flags & MSG_NOERROR) !== 0;
    const except = (sel.flags & MSG_EXCEPT) !== 0;
    const fits = (m: Message) => m.data.length <= sel.maxSize || truncate;
    while (out.length < max) {
      let at = -1;
      for (let i = 0; i < this.#messages.length; i++) {
        const m = this.#messages[i]!;
        if (!fits(m)) continue;
        if (sel.type === 0 || (sel.type > 0 && (except ? m.type !== sel.type : m.type === sel.type))) {
          at = i;
          break;
        }
        if (sel.type < 0 && m.type <= -sel.type && (at < 0 || m.type < this.#messages[at]!.type)) at = i;
      }
      if (at < 0) break;
      const [m] = this.#messages.splice(at, 1);
      out.push(m!.data.length > sel.maxSize ? { type: m!.type, data: m!.data.subarray(0, sel.maxSize) } : m!);
    }
    if (out.length > 0) this.#changed();
    return out;
  }

  /**
   * Holds the return to the kernel while a receiver of this object is being cancelled (it
   * may still be blocked in msgrcv and would take a returned message right back). Returns
   * the release function (idempotent).
   */
  hold(holder: { readonly outstanding: number }): () => void {
    this.#holders.add(holder);
    return () => {
      if (this.#holders.delete(holder)) this.#pump();
    };
  }

  /** What the object holds or is about to hold: the backlog plus what cancelled receivers still bring. */
  get held(): number {
    let n = this.size;
    for (const h of this.#holders) n += h.outstanding;
    return n;
  }

  /** Calls `fn` whenever the backlog shrinks; returns the unregister function. */
  onShrink(fn: () => void): () => void {
    this.#shrink.add(fn);
    return () => this.#shrink.delete(fn);
  }

  /** Settles when nothing is held. */
  drained(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** The queue is gone: what is held has nowhere to go. */
  clear(): void {
    this.#messages = [];
    this.#sending?.cancel('close');
    this.#changed();
  }

  #mirror(): void {
    try {
      native.msgBacklog(this.#qid, packRecords(this.#messages), this.#messages.length);
    } catch {
      /* a mirror only matters at teardown; the messages are still here */
    }
  }

  #changed(): void {
    this.#mirror();
    for (const fn of [...this.#shrink]) fn();
    if (this.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  #pump(): void {
    if (this.#sending || this.#holders.size > 0 || this.#messages.length === 0) return;
    let sent: number;
    try {
      sent = native.msgsndRecords(this.#qid, packRecords(this.#messages), this.#messages.length);
    } catch (err) {
      const e = this.#life.normalize(err as SystemError, 'msgsnd');
      if (e.code === 'EIDRM') {
        this.clear();
        return;
      }
      // The queue exists yet refuses the front message for good (msgmax lowered, mode
      // changed): say so rather than lose it silently, and go on with the rest.
      const [m] = this.#messages.splice(0, 1);
      warn(this.#qid, `a message of type ${m!.type}: ${e.message}`);
      this.#changed();
      queueMicrotask(() => this.#pump());
      return;
    }
    if (sent > 0) this.#messages.splice(0, sent);
    if (this.#messages.length === 0) {
      this.#changed();
      return;
    }
    // Full: wait for room for the front message only; the rest stays here, offered to the
    // next matching consumer.
    const m = this.#messages.shift()!;
    const task = new PendingTask(() => native.msgPutBackStart(this.#qid, packRecords([m]), 1));
    this.#sending = task;
    this.#changed();
    void task.result.then(({ errno }) => {
      this.#sending = undefined;
      if (errno === errnos.EIDRM) this.#life.markRemoved();
      else if (errno !== 0 && errno !== errnos.ECANCELED) warn(this.#qid, systemError(errno, 'msgsnd').message);
      if (this.#life.removed) this.#messages = [];
      this.#changed();
      this.#pump();
    });
  }
}

function warn(qid: number, what: string): void {
  process.emitWarning(`rxipc: could not put ${what} back into queue ${qid}`, { code: 'RXIPC_PUT_BACK' });
}

/** Deliveries in progress: at exit, what they have not handed out yet goes back. */
export interface InDelivery {
  flushForExit(): void;
}

/**
 * At process exit ('exit' event; synchronous), messages still held outside the kernel go
 * back: each delivery in progress hands its undelivered rest to its backlog (mirrored), then
 * the addon ends every wait and returns everything, trying for room for EXIT_PUT_BACK_MS.
 * Installed on first use, never on import.
 */
const exitHook = new (class {
  #installed = false;
  /** Live subscriptions: each may hold a batch being delivered. */
  readonly subscriptions = new Set<InDelivery>();

  watch(): void {
    if (this.#installed) return;
    this.#installed = true;
    process.on('exit', () => this.#onExit());
  }

  #onExit(): void {
    for (const d of [...this.subscriptions]) d.flushForExit();
    // A worker's environment teardown returns what is left (the process lives on).
    if (!isMainThread) return;
    const { lost } = native.prepareExit(EXIT_PUT_BACK_MS);
    if (lost > 0) {
      try {
        writeSync(2, `rxipc: ${lost} message(s) taken out of a full queue could not be put back before exit\n`);
      } catch {
        /* stderr closed */
      }
    }
  }
})();

export { exitHook };
