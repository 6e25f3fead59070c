// Property: every public function, constructor and method of @rxipc/core and @rxipc/rx,
// called with arbitrary values (fc.anything, huge / negative / NaN numbers, BigInts, symbols,
// throwing getters and proxies, detached / shared / resizable ArrayBuffers, strings with NULs,
// real pipes, streams and IPC_PRIVATE queues), fails only where DESIGN.md's rule says
// ("Where a misuse error surfaces"), always with a `code`, and never with an uncaught
// exception, an unhandled rejection or a crash.
//
// The calls run in a child process (packages/rx/test/fixtures/public-api-child.mjs, against the
// built dist) so that a crash is seen as what it is: an exit by a signal, with the last case
// it announced. The child removes every queue it makes; it reports each one first, and this
// test removes any that a crashed child left behind.
import { fileURLToPath } from 'node:url';

import { native } from '@rxipc/native';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { killChildren, makeTempDir, spawnNode, type TempDir } from '../support/fs.js';

const child = fileURLToPath(new URL('../../packages/rx/test/fixtures/public-api-child.mjs', import.meta.url));

interface Violation {
  target: string;
  rule: string;
  detail: string;
  args: string;
}

/** Targets in files the lead owns (MessageQueue, its streams, rx messages()). */
const LEAD = /^(MessageQueue[.#]|new MessageReadStream|new MessageWriteStream|MessageReadStream#|MessageWriteStream#|messages$)/;

let dir: TempDir;
let outcome: { code: number | null; signal: string | null; timedOut: boolean; lastCase: string; runs: number; violations: Violation[]; stderr: string };

function summary(vs: Violation[]): string {
  const seen = new Map<string, Violation & { n: number }>();
  for (const v of vs) {
    const key = `${v.target} — ${v.rule} — ${v.detail.slice(0, 60)}`;
    const s = seen.get(key);
    if (s) s.n++;
    else seen.set(key, { ...v, n: 1 });
  }
  return [...seen.entries()].map(([key, v]) => `${v.n}× ${key}\n     args: ${v.args.slice(0, 200)}`).join('\n');
}

beforeAll(async () => {
  dir = makeTempDir('api-fuzz');
  const seed = Number(process.env.RXIPC_FUZZ_SEED ?? Date.now() % 2 ** 31);
  const c = spawnNode(child, { args: [String(seed), '4000', '5000'], cwd: dir.path, timeout: 30_000 });
  const exit = await c.exited;
  const lines = c.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const l of lines) {
    try {
      // Only what the child made (IPC_PRIVATE ids, its own /rxipc-fuzz-<pid>-<n> names); normally gone already.
      if (typeof l.q === 'number') native.msgctlRemove(l.q);
      else if (typeof l.shm === 'number') native.shmctlRemove(l.shm);
      else if (typeof l.posix === 'string') native.shmUnlink(l.posix);
      else if (typeof l.sem === 'number') native.semctlRemove(l.sem);
      else if (typeof l.psem === 'string') native.semUnlink(l.psem);
    } catch {
      /* removed by the child */
    }
  }
  const done = lines.find((l) => l.done === true) as { runs: number; violations: Violation[] } | undefined;
  const last = [...lines].reverse().find((l) => typeof l.case === 'number');
  outcome = {
    ...exit,
    lastCase: last ? `case ${String(last.case)}: ${String(last.target)} (seed ${seed})` : '(none)',
    runs: done?.runs ?? 0,
    violations: done?.violations ?? [],
    stderr: c.stderr(),
  };
}, 40_000);

afterAll(() => {
  killChildren();
  dir?.remove();
});

describe('public API misuse (child process)', () => {
  it('the child never crashes, hangs or dies: it runs every case and exits 0', () => {
    expect(outcome.signal, `killed during ${outcome.lastCase}\n${outcome.stderr}`).toBeNull();
    expect(outcome.timedOut, `hung during ${outcome.lastCase}`).toBe(false);
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(outcome.runs).toBeGreaterThan(500);
  });

  it('every export has a fuzz target, and every failure outside MessageQueue / its streams / messages() follows the rule', () => {
    const mine = outcome.violations.filter((v) => !LEAD.test(v.target));
    expect(summary(mine)).toBe('');
  });

  it('MessageQueue, its streams and messages() follow the rule too', () => {
    const lead = outcome.violations.filter((v) => LEAD.test(v.target));
    expect(summary(lead)).toBe('');
  });
});
