import { join } from 'node:path';

import type { CaseResult } from './meter.js';

/** What the orchestrator tells one case run (passed to bench/case.ts as JSON). */
export interface CaseContext {
  id: string;
  /** Chunk or message size in bytes. */
  size: number;
  /** The measured window in seconds (after the warm-up). */
  seconds: number;
  /** Warm-up in seconds, outside the window. */
  warm: number;
  /** CPU of the peer process; null = not pinned. This process is pinned by whoever ran it. */
  childCpu: number | null;
  /** A fresh, empty directory for this run's FIFOs (removed by the orchestrator). */
  tmp: string;
  /** Directory of the compiled C programs. */
  cbin: string;
  /** A System V queue made by the orchestrator (IPC_PRIVATE), which also removes it. */
  qid?: number;
  /** A System V shared memory segment made by the orchestrator (IPC_PRIVATE), which also removes it. */
  shmid?: number;
  /** A System V semaphore set (3 semaphores, IPC_PRIVATE) made and removed by the orchestrator. */
  semid?: number;
}

export type CaseFn = (ctx: CaseContext) => Promise<CaseResult>;

/** How long a writer or sender runs: the warm-up plus the window. */
export const totalSeconds = (ctx: CaseContext): number => ctx.warm + ctx.seconds;

export const childCpu = (ctx: CaseContext): number | undefined => ctx.childCpu ?? undefined;

export const cProgram = (ctx: CaseContext, name: 'pipebench' | 'msgqbench' | 'shmbench' | 'sembench' | 'sockbench'): string => join(ctx.cbin, name);
