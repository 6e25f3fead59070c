import { constants as osConstants } from 'node:os';

import { watchRealtimeSignal, type RealtimeSignal } from '@rxipc/core';
import { invalidArgValueRange, realtimeSignalNumber, signalName, signalNumberOf } from '@rxipc/core/internal';
import { Observable } from 'rxjs';

/** A received signal; real-time signals also carry the sender and sigqueue's value. */
export interface SignalEvent {
  signal: string;
  signo: number;
  /** Real-time signals only: the sender's pid, uid, sigqueue value and whether it was queued. */
  pid?: number;
  uid?: number;
  value?: number;
  queued?: boolean;
}

const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

/**
 * The signals this process receives, as a cold Observable. Standard signals ('SIGUSR1',
 * 'SIGHUP', 'SIGINT', ...) go through Node's `process.on`: each subscription adds one
 * listener per signal and unsubscribing removes exactly those, so when the last listener of
 * SIGINT goes, Node's default (exit) is back. Real-time signals ('SIGRTMIN+1' ...
 * 'SIGRTMAX', not SIGRTMIN+5, which rxipc reserves) carry the sender's pid and uid and the
 * sigqueue value (core `watchRealtimeSignal`; every one arrives, though two delivered to
 * different threads at once may come in either order). Names are checked at the call: an unknown
 * one is a TypeError (ERR_UNKNOWN_SIGNAL), SIGKILL / SIGSTOP and SIGRTMIN+5 are refused.
 *
 * @example
 * signals('SIGUSR1', 'SIGRTMIN+1').subscribe((s) => console.log(s.signal, s.pid, s.value));
 */
export function signals(...names: string[]): Observable<SignalEvent> {
  if (names.length === 0) throw invalidArgValueRange('signals', 'must name at least one signal', names);
  const plan = names.map((name) => {
    const signo = signalNumberOf(name, 'signal');
    const std = typeof name === 'string' && Object.prototype.hasOwnProperty.call(osConstants.signals, name);
    if (std) {
      if (UNCATCHABLE.has(name)) throw invalidArgValueRange('signal', 'cannot be caught (SIGKILL, SIGSTOP)', name);
      return { std: true as const, name: name as NodeJS.Signals, signo };
    }
    return { std: false as const, name: signalName(realtimeSignalNumber(name, 'signal')), signo };
  });
  return new Observable<SignalEvent>((subscriber) => {
    const undo: Array<() => void> = [];
    try {
      for (const p of plan) {
        if (p.std) {
          const listener = (): void => subscriber.next({ signal: p.name, signo: p.signo });
          process.on(p.name, listener);
          undo.push(() => process.off(p.name, listener));
        } else {
          const stop = watchRealtimeSignal(p.signo, (s: RealtimeSignal) =>
            subscriber.next({ signal: s.signal, signo: s.signo, pid: s.pid, uid: s.uid, value: s.value, queued: s.queued }),
          );
          undo.push(stop);
        }
      }
    } catch (err) {
      // EBUSY (another environment or handler owns a real-time signal): undo what was set up.
      for (const u of undo.splice(0).reverse()) u();
      subscriber.error(err);
      return undefined;
    }
    return () => {
      for (const u of undo.splice(0).reverse()) u();
    };
  });
}
