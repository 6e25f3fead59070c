// shm-counter: under the semaphore the count is exact; without it increments are lost (on a
// machine with more than one CPU); the segment and the semaphore set are gone afterwards.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

import { describe, expect, it } from 'vitest';

import { program, run } from './helpers.js';

const main = program('shm-counter');

/** Ids of System V objects of one kind now (/proc/sysvipc/shm or sem). */
function ids(kind: 'shm' | 'sem'): Set<number> {
  const rows = readFileSync(`/proc/sysvipc/${kind}`, 'utf8').trim().split('\n').slice(1);
  return new Set(rows.map((row) => Number(row.trim().split(/\s+/)[1])));
}

describe('shm-counter', () => {
  it('N processes × iterations under the semaphore: the count is exact, and nothing is left', async () => {
    const { code, stdout, stderr } = await run(main, ['--procs', '3', '--iterations', '2000']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/counter = 6000 \(expected 6000\): exact/);
    expect(stdout.match(/added 2000/g)).toHaveLength(3);
    const shmId = Number(/segment (\d+)/.exec(stdout)![1]);
    const semId = Number(/under semaphore (\d+)/.exec(stdout)![1]);
    expect(ids('shm').has(shmId)).toBe(false);
    expect(ids('sem').has(semId)).toBe(false);
  });

  it.runIf(availableParallelism() > 1)('--no-lock loses increments (tried up to 3 times: a race is a matter of timing)', async () => {
    let lost = 0;
    for (let attempt = 0; attempt < 3 && lost === 0; attempt++) {
      // Long enough that the processes overlap in time even when the machine is busy (a short
      // run can fit in one scheduler time slice per process, and then nothing races).
      const { code, stdout } = await run(main, ['--procs', '4', '--iterations', '200000', '--no-lock']);
      expect(code).toBe(0);
      const m = /counter = (\d+) \(expected 800000\)/.exec(stdout);
      expect(m).not.toBeNull();
      lost = 800000 - Number(m![1]);
      expect(lost).toBeGreaterThanOrEqual(0);
    }
    expect(lost).toBeGreaterThan(0);
  });

  it('bad arguments: exit 2 with a usage line', async () => {
    const { code, stderr } = await run(main, ['--procs', '0']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/usage: shm-counter/);
  });
});
