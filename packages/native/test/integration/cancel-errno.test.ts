// What a cancelled waiting task reports as its final errno. The contract (tasks.ts, and
// OneShotTask in waiter.h): a one-shot wait that was cancelled ends with ECANCELED — never
// EINTR (the cancel signal's trace), never 0 as if it had succeeded — unless the call
// completed as the cancel arrived, in which case the result is reported (an fd to close, a
// message that was sent). Checked for a cancel before the thread blocks and for one after.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { native, tasks } from '@rxipc/native';

import { makeTempDir, shortWaiterIdle, type TempDir, waitUntil, warmUpThreads } from '../../../../test/support/fs.js';
import { useQueues } from '../../../../test/support/ipc.js';

const { O_RDONLY, O_WRONLY, O_CLOEXEC } = native.constants;
const ECANCELED = 125;

const queues = useQueues();
let dir: TempDir;
let restoreIdle: () => void;
beforeAll(async () => {
  restoreIdle = shortWaiterIdle(20);
  await warmUpThreads();
});
afterAll(() => restoreIdle());
beforeEach(() => {
  dir = makeTempDir('ecanceled');
});
afterEach(() => dir.remove());

const busyWaiters = () => native.testing.waiterStats().threads - native.testing.waiterStats().idle;

interface Final {
  errno: number;
  a: unknown;
  b: unknown;
}

/** Starts a task; `final` settles with its final dispatch. */
function start(startTask: () => number): { id: number; final: Promise<Final> } {
  let resolve!: (f: Final) => void;
  const final = new Promise<Final>((r) => (resolve = r));
  const id = tasks.start(startTask, (isFinal, errno, a, b) => {
    if (isFinal) resolve({ errno, a, b });
  });
  return { id, final };
}

/**
 * Cancels at once, and after the thread is blocked. A cancel "at once" lands either before
 * the thread runs the task (the call is never made) or during the call: which one is a race,
 * so that case is tried TRIALS times to see both.
 */
const WHEN = ['at once', 'while blocked'] as const;
const TRIALS = 20;

async function cancelled(startTask: () => number, when: (typeof WHEN)[number]): Promise<Final> {
  const busy = busyWaiters();
  const t = start(startTask);
  if (when === 'while blocked') {
    await waitUntil(() => busyWaiters() === busy + 1, { message: 'the task to block on its waiter thread' });
    await new Promise((r) => setTimeout(r, 10));
  }
  tasks.cancel(t.id);
  return t.final;
}

describe('a cancelled one-shot wait ends with ECANCELED', () => {
  for (const when of WHEN) {
    it(`openWait (FIFO read end, no writer), cancelled ${when}`, async () => {
      const path = dir.unique('fifo');
      native.mkfifo(path, 0o600);
      for (let i = 0; i < (when === 'at once' ? TRIALS : 1); i++) {
        const f = await cancelled(() => native.openWait(path, O_RDONLY | O_CLOEXEC), when);
        expect(f.errno, `trial ${i}: final errno ${f.errno}, result ${String(f.a)}`).toBe(ECANCELED);
      }
    });

    it(`openWait (FIFO write end, no reader), cancelled ${when}`, async () => {
      const path = dir.unique('fifo');
      native.mkfifo(path, 0o600);
      for (let i = 0; i < (when === 'at once' ? TRIALS : 1); i++) {
        const f = await cancelled(() => native.openWait(path, O_WRONLY | O_CLOEXEC), when);
        expect(f.errno, `trial ${i}: final errno ${f.errno}, result ${String(f.a)}`).toBe(ECANCELED);
      }
    });

    it(`msgsndStart (queue full), cancelled ${when}: ECANCELED and nothing sent`, async () => {
      const q = queues.create();
      q.set({ maxBytes: 16 });
      expect(q.trySend(1, Buffer.alloc(16))).toBe(true);
      for (let i = 0; i < (when === 'at once' ? TRIALS : 1); i++) {
        const f = await cancelled(() => native.msgsndStart(q.id, 2, Buffer.from('never sent')), when);
        expect(f.errno, `trial ${i}: final errno ${f.errno}`).toBe(ECANCELED);
        expect(q.stat().qnum).toBe(1);
      }
    });
  }
});

describe('a cancelled receiver task (msgrcvStart)', () => {
  // The receiver is not a one-shot task, but a cancel ends it like every waiter task: with
  // ECANCELED (binding.ts) — never the cancel signal's EINTR, nor a kernel error that did
  // not happen; and it takes nothing.
  for (const when of WHEN) {
    it(`cancelled ${when}: final errno ECANCELED, no records, nothing taken`, async () => {
      const q = queues.create();
      for (let i = 0; i < (when === 'at once' ? TRIALS : 1); i++) {
        const f = await cancelled(() => native.msgrcvStart(q.id, 8192, 5, 0, 16, 16, false, 0), when);
        expect(f.errno, `trial ${i}: final errno ${f.errno}`).toBe(ECANCELED);
        expect(f.b ?? 0).toBe(0);
      }
      q.trySend(5, 'after');
      expect(q.stat().qnum).toBe(1);
    });
  }
});
