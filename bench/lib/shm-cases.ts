// Shared memory (issue 7), the Node side. The orchestrator makes the segment (IPC_PRIVATE,
// 2 MiB), passes its id in ctx.shmid and removes it after the run. Records follow
// publish()'s layout: ping at offset 0, pong at offset 128 (bench/c/shmbench.c does the same).
import { SharedMemory } from '@rxipc/core';
import { shmChanges } from '@rxipc/rx';

import { childCpu, cProgram, totalSeconds, type CaseContext, type CaseFn } from './context.js';
import { Window, type ThroughputResult } from './meter.js';
import { pingPong } from './ping-pong.js';
import { allowedCpus, spawnPeer, spawnPinned } from './proc.js';

export const PING = 0;
export const PONG = 128;
const EMPTY = Buffer.alloc(0);

function segmentOf(ctx: CaseContext): SharedMemory {
  if (ctx.shmid === undefined) throw new Error(`${ctx.id}: no segment id`);
  return SharedMemory.fromId(ctx.shmid);
}

/**
 * Change-notification round trip: this side publishes a ping record and waits for the pong
 * record with shmChanges(notify); the ponger (an rxipc peer doing the same, or C) answers
 * each ping it sees. A zero-length ping stops it.
 */
const rtt = (ponger: 'rxipc' | 'c'): CaseFn => async (ctx) => {
  const shm = segmentOf(ctx);
  shm.buffer.fill(0, 0, PONG + 8 + ctx.size);
  const ping = Buffer.alloc(ctx.size, 'p');
  const peer =
    ponger === 'rxipc'
      ? spawnPeer(childCpu(ctx), 'shm-pong', ['--shmid', String(ctx.shmid)], { stdio: ['ignore', 'ignore', 'inherit'] })
      : spawnPinned(childCpu(ctx), cProgram(ctx, 'shmbench'), ['pong', '-i', String(ctx.shmid)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const pongs = shmChanges(shm, { notify: true, offset: PONG });
  const result = await pingPong(ctx, peer, pongs, () => shm.publish(PING, ping), () => shm.publish(PING, EMPTY));
  await shm.close();
  return result;
};

/** Buffer.set of ctx.size bytes into shm.buffer in a loop (no peer). */
const write: CaseFn = async (ctx) => {
  const shm = segmentOf(ctx);
  const src = Buffer.alloc(ctx.size, 'x');
  const dst = shm.buffer;
  const w = new Window(ctx.warm);
  const end = performance.now() + totalSeconds(ctx) * 1000;
  for (let i = 0; ; i++) {
    src[0] = i & 0xff;
    dst.set(src, 0);
    w.add(ctx.size);
    // The clock is read once per 16 copies (µs each): negligible next to a 1 MiB copy.
    if ((i & 15) === 0 && performance.now() >= end) break;
  }
  w.close();
  await shm.close();
  return w.result('B', { cpus: `${allowedCpus()}/-` });
};

/**
 * One idle watcher: shmChanges polling ctx.size bytes every 1 ms (asyncScheduler), nothing
 * changing. Reports the process's CPU time per second of wall time inside the window.
 */
const poll: CaseFn = async (ctx) => {
  const shm = segmentOf(ctx);
  const sub = shmChanges(shm, { interval: 1, offset: 0, length: ctx.size }).subscribe();
  await new Promise((r) => setTimeout(r, ctx.warm * 1000));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ctx.seconds * 1000));
  const cpu = process.cpuUsage(c0);
  const seconds = (performance.now() - t0) / 1000;
  sub.unsubscribe();
  await shm.close();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const result: ThroughputResult = {
    kind: 'thr',
    rate: cpuSeconds / seconds,
    unit: 'cpu',
    units: cpuSeconds,
    seconds,
    reads: 0,
    notes: { cpus: `${allowedCpus()}/-` },
  };
  return result;
};

export const shmCases: Record<string, CaseFn> = {
  'rxipc.shm.rtt': rtt('rxipc'),
  'rxipc.shm.rtt.cpong': rtt('c'),
  'rxipc.shm.write': write,
  'rxipc.shm.poll': poll,
};
