// The test support's own hygiene: children a test leaves running (also a test that timed
// out) are killed when it ends, C fixtures are compiled once into .cache/test-bin rather than
// into a temp dir per process, and temp dirs carry the run's id for the leak sweep.
// The tests in this file depend on their order: each "afterwards" test checks its predecessor.
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';

import { describe, expect, it } from 'vitest';

import { testBinDir } from './support/cc.js';
import { liveChildren } from './support/children.js';
import { makeTempDir, spawnNode, waitUntil } from './support/fs.js';
import { msgPeer, startChild } from './support/ipc.js';
import { testRunId } from './support/tmp.js';

/** Whether `pid` is still a process (a zombie counts until its parent reaps it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const pids: number[] = [];

describe('children started by a test are killed when it ends', () => {
  it('a test leaves two children running (startChild and spawnNode)', () => {
    const a = startChild('sleep', ['30'], { timeoutMs: 60_000 });
    const b = spawnNode('-e', { args: ['setInterval(() => {}, 1000)'], timeout: 60_000 });
    pids.push(a.child.pid!, b.child.pid!);
    expect(alive(a.child.pid!)).toBe(true);
  });

  it('afterwards they are gone', async () => {
    await waitUntil(() => pids.every((p) => !alive(p)), { message: () => `children ${pids.join(', ')} to be killed` });
    expect(liveChildren()).toBe(0);
  });

  it.fails('a test that times out with a child running (it.fails: the timeout is the point)', { timeout: 200 }, async () => {
    const a = startChild('sleep', ['30'], { timeoutMs: 60_000 });
    pids.length = 0;
    pids.push(a.child.pid!);
    await new Promise(() => {}); // never settles: vitest times the test out
  });

  it("afterwards the timed-out test's child is gone", async () => {
    expect(pids).toHaveLength(1);
    await waitUntil(() => !alive(pids[0]!), { message: `child ${pids[0]} of the timed-out test to be killed` });
  });
});

describe('temp files', () => {
  it('msgPeer is compiled once into .cache/test-bin, not into a temp dir', () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('rxipc-'));
    const peer = msgPeer();
    expect(peer.startsWith(testBinDir)).toBe(true);
    expect(existsSync(peer)).toBe(true);
    expect(msgPeer()).toBe(peer);
    const after = readdirSync(tmpdir()).filter((n) => n.startsWith('rxipc-') && !before.includes(n));
    expect(after).toEqual([]);
  });

  it("test temp dirs are named rxipc-<run id>-..., so the leak sweep can find this run's leftovers", () => {
    const dir = makeTempDir('hygiene');
    try {
      expect(dir.path).toMatch(new RegExp(`/rxipc-${testRunId}-hygiene-[^/]+$`));
      // The global setup hands every test process the run's id.
      expect(process.env.RXIPC_TEST_RUN).toBeDefined();
      expect(testRunId).toBe(process.env.RXIPC_TEST_RUN);
    } finally {
      dir.remove();
    }
    expect(existsSync(dir.path)).toBe(false);
  });
});
