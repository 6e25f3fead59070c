// The cancel signal can land just before a waiter thread blocks in the kernel (between its
// "cancelled?" check and the syscall); the supervisor thread re-sends it every millisecond
// until the task is done (waiter.h). This race is a window of a few instructions, so it is
// made to happen every time: a child process runs under an LD_PRELOAD shim
// (fixtures/slow-msgwait.c) whose blocking msgrcv/msgsnd first sleep 50 ms ignoring EINTR,
// then make the real call. The child cancels during that sleep: the first signal is spent
// on the sleep, and the real call blocks with the task already cancelled. Only a re-sent
// signal can end it — within a few ms of the sleep's end, not never.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { compileC } from '../../../../test/support/cc.js';
import { makeTempDir, type TempDir } from '../../../../test/support/fs.js';
import { sleep, startChild, useQueues } from '../../../../test/support/ipc.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

const queues = useQueues();
let dir: TempDir;
beforeEach(() => {
  dir = makeTempDir('resend');
});
afterEach(() => dir.remove());

const SHIM_SLEEP_MS = 50;

const sleptWithSignal = (log: string[]) => log.some((l) => /^slept \w+ eintr=[1-9]/.test(l));

/**
 * Runs the child in `mode` on queue `qid` under the shim; returns its report and the shim's
 * log. The child cancels 2 ms into the shim's sleep; on a machine so loaded that the child
 * did not get to run until the sleep was over, the race did not happen (no signal landed in
 * the sleep): that attempt proves nothing and is repeated, up to 3 times.
 */
async function runUnderShim(mode: string, qid: number): Promise<{ ms: number; outcome: unknown; log: string[] }> {
  let last: { ms: number; outcome: unknown; log: string[] } | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    last = await runOnce(mode, qid);
    if (sleptWithSignal(last.log)) return last;
  }
  return last!;
}

async function runOnce(mode: string, qid: number): Promise<{ ms: number; outcome: unknown; log: string[] }> {
  const shim = compileC(fixture('slow-msgwait.c'), { shared: true, libs: ['-ldl'] });
  const log = dir.unique('shim-log');
  const child = startChild(process.execPath, [fixture('cancel-resend.mjs'), mode, String(qid), log], {
    env: { ...process.env, LD_PRELOAD: shim, SLOW_MSG_LOG: log, SLOW_MSG_DELAY_MS: String(SHIM_SLEEP_MS) },
    timeoutMs: 10_000,
  });
  // Without the re-send the wait never ends (and the child cannot exit either: its
  // environment teardown waits for the task): give it 3 s, then kill it and say why.
  const r = await Promise.race([child.done, sleep(3000).then(() => undefined)]);
    const lines = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  if (r === undefined) {
    child.child.kill('SIGKILL');
    await child.done;
    throw new Error(`the cancelled wait (${mode}) did not end within 3 s: the cancel signal was never re-sent. Shim log: ${lines.join(' | ')}`);
  }
  expect(r.code, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout.trim()) as { ms: number; outcome: unknown };
  return { ...report, log: lines };
}

/** The shim's log proves the race happened: signal(s) spent on the sleep, then a real call that only EINTR ended. */
function expectRaceReproduced(log: string[], call: 'msgrcv' | 'msgsnd'): void {
  const slept = log.find((l) => l.startsWith(`slept ${call} `));
  expect(slept, log.join(' | ')).toBeDefined();
  expect(Number(/eintr=(\d+)/.exec(slept!)![1]), `the first signal landed in the sleep: ${slept}`).toBeGreaterThanOrEqual(1);
  expect(log.filter((l) => l.startsWith(`return ${call} `)), log.join(' | ')).toEqual([`return ${call} -1 EINTR`]);
}

describe('a cancel that lands before the thread blocks is re-sent', () => {
  it('native receiver task (msgrcvStart): the blocked msgrcv ends within ~1 ms of the sleep, no message taken', async () => {
    const q = queues.create();
    const { ms, outcome, log } = await runUnderShim('native-receive', q.id);
    expectRaceReproduced(log, 'msgrcv');
    // The cancel came ~2 ms into the 50 ms sleep; the re-send (every 1 ms) ends the real call.
    expect(ms, log.join(' | ')).toBeGreaterThan(SHIM_SLEEP_MS / 2);
    expect(ms, log.join(' | ')).toBeLessThan(100);
    expect(outcome === 0 || outcome === 125, `final errno ${String(outcome)}`).toBe(true);
    expect(q.stat().qnum).toBe(0);
  });

  it('MessageQueue#receive aborted: rejects with AbortError within ~1 ms of the sleep', async () => {
    const q = queues.create();
    const { ms, outcome, log } = await runUnderShim('core-receive', q.id);
    expectRaceReproduced(log, 'msgrcv');
    expect(outcome).toBe('ABORT_ERR');
    expect(ms, log.join(' | ')).toBeLessThan(100);
  });

  it('MessageQueue#send on a full queue aborted: rejects with AbortError within ~1 ms of the sleep, nothing sent', async () => {
    const q = queues.create();
    q.set({ maxBytes: 16 });
    expect(q.trySend(1, Buffer.alloc(16))).toBe(true);
    const { ms, outcome, log } = await runUnderShim('core-send', q.id);
    expectRaceReproduced(log, 'msgsnd');
    expect(outcome).toBe('ABORT_ERR');
    expect(ms, log.join(' | ')).toBeLessThan(100);
    expect(q.stat().qnum).toBe(1);
  });
});
