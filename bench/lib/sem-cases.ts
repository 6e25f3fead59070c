// System V semaphores, the Node side: an acquire/release ping-pong between two processes.
// The orchestrator makes the set (IPC_PRIVATE, 3 semaphores, all 0), passes its id in
// ctx.semid and removes it after the run. Semaphore 0 pings, 1 pongs, 2 = 1 stops the
// ponger (then one last ping wakes it). No SEM_UNDO on either side (the C reference has none).
import { SemaphoreSet } from '@rxipc/core';

import { childCpu, cProgram, totalSeconds, type CaseContext, type CaseFn } from './context.js';
import { Samples } from './meter.js';
import { allowedCpus, spawnPeer, spawnPinned, succeeded } from './proc.js';

const NO_UNDO = { undo: false } as const;

function setOf(ctx: CaseContext): SemaphoreSet {
  if (ctx.semid === undefined) throw new Error(`${ctx.id}: no semaphore set id`);
  return SemaphoreSet.fromId(ctx.semid);
}

/**
 * This side pings: release(0), then `await acquire(1)` (IPC_NOWAIT first, then a waiter
 * thread). The ponger is an rxipc peer (the same calls) or the C program.
 */
const semRtt = (ponger: 'rxipc' | 'c'): CaseFn => async (ctx) => {
  const sem = setOf(ctx);
  const s = new Samples(ctx.warm);
  const peer =
    ponger === 'rxipc'
      ? spawnPeer(childCpu(ctx), 'sem-pong', ['--semid', String(ctx.semid)], { stdio: ['ignore', 'ignore', 'inherit'] })
      : spawnPinned(childCpu(ctx), cProgram(ctx, 'sembench'), ['pong', '-m', String(ctx.semid)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const peerDone = succeeded(peer, 'ponger');
  let failed: unknown;
  peerDone.catch((err: unknown) => (failed = err));
  let cpus = '';
  while (failed === undefined) {
    const t0 = performance.now();
    sem.release(0, 1, NO_UNDO);
    await sem.acquire(1, NO_UNDO);
    s.add(t0, performance.now());
    if (s.elapsed(totalSeconds(ctx))) break;
  }
  if (failed !== undefined) throw failed as Error;
  cpus = `${allowedCpus()}/${allowedCpus(peer.pid!)}`;
  sem.set(2, 1);
  sem.release(0, 1, NO_UNDO);
  await peerDone;
  await sem.close();
  return s.result({ cpus });
};

/** The rxipc ponger (bench/peer.ts role sem-pong). */
export async function semPong(semid: number): Promise<void> {
  const sem = SemaphoreSet.fromId(semid);
  for (;;) {
    await sem.acquire(0, NO_UNDO);
    if (sem.get(2) > 0) break;
    sem.release(1, 1, NO_UNDO);
  }
  await sem.close();
}

export const semCases: Record<string, CaseFn> = {
  'rxipc.sem.rtt': semRtt('rxipc'),
  'rxipc.sem.rtt.cpong': semRtt('c'),
};
