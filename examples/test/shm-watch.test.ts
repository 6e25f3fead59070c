// shm-watch: the watcher prints every status the writer publishes, in order, ends on 'done',
// and the segment is gone afterwards (also after Ctrl-C).
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { program, run, start } from './helpers.js';

const main = program('shm-watch');

/** The ids of all System V shared memory segments now (/proc/sysvipc/shm). */
function segmentIds(): Set<number> {
  const rows = readFileSync('/proc/sysvipc/shm', 'utf8').trim().split('\n').slice(1);
  return new Set(rows.map((row) => Number(row.trim().split(/\s+/)[1])));
}
const segmentOf = (stdout: string) => Number(/created segment (\d+)/.exec(stdout)?.[1]);

describe('shm-watch', () => {
  it('the watcher sees the updates in order and ends on done; the segment is removed', async () => {
    const { code, stdout, stderr } = await run(main, ['--updates', '4', '--interval', '100']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const seen = stdout
      .split('\n')
      .filter((l) => l.startsWith('watcher('))
      .map((l) => /#(\d+) (\S+)/.exec(l)?.slice(1, 3).join(' ') ?? l.replace(/^watcher\(\d+\): /, ''));
    // 100 ms apart: nothing to skip. The feed ends on the last value, 'done'.
    expect(seen).toEqual(['1 starting', '2 warming', '3 serving', '4 busy', '5 done', 'done']);
    expect(stdout).toMatch(/µs after publish/);
    expect(segmentIds().has(segmentOf(stdout))).toBe(false);
  });

  it('a burst: the watcher may skip values but always ends on done', async () => {
    const { code, stdout } = await run(main, ['--updates', '50', '--interval', '0']);
    expect(code).toBe(0);
    const numbers = [...stdout.matchAll(/watcher\(\d+\): #(\d+)/g)].map((m) => Number(m[1]));
    expect(numbers.at(-1)).toBe(51);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it('Ctrl-C (SIGINT to the whole process group) still removes the segment', async () => {
    const running = start(main, ['--updates', '1000', '--interval', '50'], { detached: true });
    const out = await running.waitFor(/watcher\(\d+\): #2/);
    const id = segmentOf(out);
    expect(segmentIds().has(id)).toBe(true);
    process.kill(-running.child.pid!, 'SIGINT');
    const end = await running.exit;
    expect(end.code ?? end.signal).not.toBe(0);
    expect(segmentIds().has(id)).toBe(false);
  });
});
