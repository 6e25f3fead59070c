// Addon state is per environment: the addon loads in worker_threads, and a worker that
// exits or is terminated while a wait is pending takes its task and its thread with it.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { native, tasks } from '@rxipc/native';

import { Baseline, makeTempDir, shortWaiterIdle, waitUntil, warmUpThreads, type TempDir } from '../../../../test/support/fs.js';

const WORKER = fileURLToPath(new URL('../fixtures/worker-pipe-fifo.mjs', import.meta.url));

let restoreIdle: () => void;
let dir: TempDir;
beforeAll(async () => {
  restoreIdle = shortWaiterIdle(20);
  await warmUpThreads();
});
afterAll(() => restoreIdle());
beforeEach(() => {
  dir = makeTempDir('worker');
});
afterEach(() => dir.remove());

type Msg = { roundTrip?: string; pending?: boolean; aborted?: string; unexpected?: string };

/** Starts the worker and waits until its FIFO open is pending on a waiter thread. */
async function startWorker(fifo: string): Promise<{ worker: Worker; messages: Msg[]; errors: Error[]; exit: Promise<number> }> {
  const worker = new Worker(WORKER, { workerData: { fifo } });
  const messages: Msg[] = [];
  const errors: Error[] = [];
  worker.on('message', (m: Msg) => messages.push(m));
  worker.on('error', (e) => errors.push(e));
  const exit = new Promise<number>((r) => worker.once('exit', r));
  await waitUntil(() => messages.some((m) => m.pending) || errors.length > 0, {
    timeout: 10_000,
    message: () => `the worker's open to be pending (${JSON.stringify(messages)} ${errors.join()})`,
  });
  expect(errors).toEqual([]);
  expect(messages[0]).toEqual({ roundTrip: `hello from worker ${fifo}` });
  // The worker's wait runs on a thread of the process-wide waiter pool.
  await waitUntil(() => native.testing.waiterStats().threads - native.testing.waiterStats().idle === 1, { message: 'a busy waiter thread' });
  return { worker, messages, errors, exit };
}

/** The main thread still works: a pipe round trip and a cancelled waiter task. */
async function expectMainHealthy(): Promise<void> {
  const [r, w] = native.pipe2(native.constants.O_CLOEXEC);
  const { closeSync, readSync, writeSync } = await import('node:fs');
  writeSync(w, 'ok');
  const buf = Buffer.alloc(2);
  expect(readSync(r, buf)).toBe(2);
  closeSync(r);
  closeSync(w);
  await new Promise<void>((resolve) => {
    const id = tasks.start(() => native.testing.sleepUntilCancelled(), (final) => final && resolve());
    tasks.cancel(id);
  });
}

describe('the addon in worker_threads', () => {
  it('terminate() while a FIFO open is pending: clean exit, nothing left behind', async () => {
    const base = await Baseline.take();
    const fifo = dir.unique('fifo');
    native.mkfifo(fifo, 0o600);
    const { worker, exit, errors } = await startWorker(fifo);
    expect(await worker.terminate()).toBe(1);
    expect(await exit).toBe(1);
    expect(errors).toEqual([]);
    await expectMainHealthy();
    await base.expectRestored();
  });

  it('process.exit() inside the worker while a FIFO open is pending', async () => {
    const base = await Baseline.take();
    const fifo = dir.unique('fifo');
    native.mkfifo(fifo, 0o600);
    const { worker, exit, errors } = await startWorker(fifo);
    worker.postMessage('exit');
    expect(await exit).toBe(0);
    expect(errors).toEqual([]);
    await expectMainHealthy();
    await base.expectRestored();
  });

  it('abort inside the worker rejects with AbortError and the worker ends by itself', async () => {
    const base = await Baseline.take();
    const fifo = dir.unique('fifo');
    native.mkfifo(fifo, 0o600);
    const { worker, exit, errors, messages } = await startWorker(fifo);
    worker.postMessage('abort');
    expect(await exit).toBe(0);
    expect(errors).toEqual([]);
    expect(messages.at(-1)).toEqual({ aborted: 'AbortError/ABORT_ERR' });
    await expectMainHealthy();
    await base.expectRestored();
  });

  it('three workers at once, each with its own pending open, all terminated', async () => {
    const base = await Baseline.take();
    const started = [];
    for (let i = 0; i < 3; i++) {
      const fifo = dir.unique('fifo');
      native.mkfifo(fifo, 0o600);
      const w = new Worker(WORKER, { workerData: { fifo } });
      const pending = new Promise<void>((resolve) => w.on('message', (m: Msg) => m.pending && resolve()));
      started.push({ w, pending, exit: new Promise<number>((r) => w.once('exit', r)) });
    }
    await Promise.all(started.map((s) => s.pending));
    await waitUntil(() => native.testing.waiterStats().threads - native.testing.waiterStats().idle === 3, { message: '3 busy waiter threads' });
    await Promise.all(started.map((s) => s.w.terminate()));
    expect(await Promise.all(started.map((s) => s.exit))).toEqual([1, 1, 1]);
    await expectMainHealthy();
    await base.expectRestored();
  });
});
