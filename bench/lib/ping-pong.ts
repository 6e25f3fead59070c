// The round-trip harness shared by the message-queue and shared-memory rows: this side
// pings, an Observable delivers the peer's pongs.
import type { ChildProcess } from 'node:child_process';

import type { Observable } from 'rxjs';

import { totalSeconds, type CaseContext } from './context.js';
import { Samples, type RoundTripResult } from './meter.js';
import { allowedCpus, succeeded } from './proc.js';

/**
 * Times round trips against `peer`: `ping()` sends one ping (and throws if it cannot), each
 * value of `pongs` answers the last one. Pings until warm + seconds after the first answer,
 * then unsubscribes, calls `stop()` (which must make the peer exit) and waits for the peer.
 * Only one ping is ever in flight, so a pong always belongs to the last ping.
 */
export async function pingPong(ctx: CaseContext, peer: ChildProcess, pongs: Observable<unknown>, ping: () => void, stop: () => void): Promise<RoundTripResult> {
  const s = new Samples(ctx.warm);
  const peerDone = succeeded(peer, 'ponger');
  let cpus = '';
  await new Promise<void>((resolve, reject) => {
    let t0 = 0;
    const send = () => {
      t0 = performance.now();
      ping();
    };
    const sub = pongs.subscribe({
      next: () => {
        s.add(t0, performance.now());
        try {
          if (!s.elapsed(totalSeconds(ctx))) {
            send();
            return;
          }
          cpus = `${allowedCpus()}/${allowedCpus(peer.pid!)}`;
          sub.unsubscribe();
          stop();
          resolve();
        } catch (err) {
          sub.unsubscribe();
          reject(err as Error);
        }
      },
      error: reject,
    });
    peerDone.catch(reject);
    try {
      send();
    } catch (err) {
      sub.unsubscribe();
      reject(err as Error);
    }
  });
  await peerDone;
  return s.result({ cpus });
}
