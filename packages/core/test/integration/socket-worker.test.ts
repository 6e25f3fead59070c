// Sockets a worker_thread leaves undestroyed are closed when the worker ends: the
// environment that made a message socket (or polls an fd) owns its fd (socket.cc,
// "Ownership"), and its cleanup hook closes what JS never did. The same for a worker's real-time signal watch: the handler goes, the
// next environment may watch the signal.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { SIGRTMIN, watchRealtimeSignal } from '@rxipc/core';

import { Baseline, isFdOpen, makeTempDir, warmUpThreads, type TempDir } from '../../../../test/support/fs.js';

const WORKER = fileURLToPath(new URL('../fixtures/worker-sockets.mjs', import.meta.url));
const SIGNAL = SIGRTMIN + 2;

let dir: TempDir;
beforeAll(async () => {
  await warmUpThreads();
  // The signal self-pipe lives as long as the process (signal.cc): make it before any baseline.
  watchRealtimeSignal(SIGNAL, () => {})();
});
beforeEach(() => {
  dir = makeTempDir('sockworker');
});
afterEach(() => dir.remove());

async function startWorker(signal?: number): Promise<{ worker: Worker; fds: number[]; exit: Promise<number>; errors: Error[] }> {
  const worker = new Worker(WORKER, { workerData: { dir: dir.path, signal } });
  const errors: Error[] = [];
  worker.on('error', (e) => errors.push(e));
  const exit = new Promise<number>((r) => worker.once('exit', r));
  const fds = await new Promise<number[]>((resolve, reject) => {
    worker.once('message', (m: { ready: number[] }) => resolve(m.ready));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready`)));
  });
  expect(fds.length).toBe(11);
  for (const fd of fds) expect(isFdOpen(fd)).toBe(true);
  return { worker, fds, exit, errors };
}

describe('sockets left open by a worker_thread', () => {
  it('terminate(): every socket fd is closed, the socket files stay for their owner to remove', async () => {
    const base = await Baseline.take();
    const { worker, exit, errors } = await startWorker();
    expect(await worker.terminate()).toBe(1);
    expect(await exit).toBe(1);
    expect(errors).toEqual([]);
    await base.expectRestored();
    // Unlinking a socket path is its owner's explicit choice, never automatic: both files remain.
    expect(readdirSync(dir.path).sort()).toEqual(['dgram.sock', 'seq.sock']);
  });

  it('process.exit() in the worker: every socket fd is closed', async () => {
    const base = await Baseline.take();
    const { worker, exit, errors } = await startWorker();
    worker.postMessage('exit');
    expect(await exit).toBe(0);
    expect(errors).toEqual([]);
    await base.expectRestored();
  });

  it('terminate() with a real-time signal watched: the watch ends and the main thread may watch the signal', async () => {
    const base = await Baseline.take();
    const { worker, exit } = await startWorker(SIGNAL);
    // One environment at a time reads the signal pipe: the worker holds it now.
    expect(() => watchRealtimeSignal(SIGNAL, () => {})).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    await worker.terminate();
    await exit;
    await base.expectRestored();
    const got: number[] = [];
    const stop = watchRealtimeSignal(SIGNAL, (s) => got.push(s.value));
    try {
      process.kill(process.pid, SIGNAL);
      const t0 = Date.now();
      while (got.length === 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 10));
      expect(got).toEqual([0]);
    } finally {
      stop();
    }
    expect(existsSync(dir.path)).toBe(true);
  });
});
