// fifo-talk: talker01 and talker02 chat through two FIFOs; talker01 removes them however it ends.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { testRunId } from '../../test/support/tmp.js';

import { program, run, start } from './helpers.js';

const talker01 = program('fifo-talk', 'talker01.js');
const talker02 = program('fifo-talk', 'talker02.js');
const dispatcher = program('fifo-talk'); // main.js talker01|talker02 ...

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), `rxipc-${testRunId}-fifo-talk-`));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** talker01 started in `dir`, once it has made the FIFOs and waits for talker02. */
async function startTalker01(input?: string) {
  const t1 = start(talker01, [], { cwd: dir, ...(input !== undefined ? { input } : {}) }); // default: the current directory
  await t1.waitFor(/waiting for talker02/, 'stderr');
  return t1;
}

/** The transcripts of a whole conversation: talker01 says `first`, talker02 answers `second`. */
async function converse(first: string[], second: string[]) {
  const t1 = await startTalker01(first.map((l) => `${l}\n`).join(''));
  const t2 = await run(dispatcher, ['talker02', '--dir', dir], { input: second.map((l) => `${l}\n`).join('') });
  return { t1: await t1.exit, t2 };
}

describe('fifo-talk', () => {
  it('takes turns like the C programs, ends on Ctrl-D, and removes the FIFOs', async () => {
    const { t1, t2 } = await converse(['hello', 'how are you'], ['hi', 'fine']);
    expect(t1.stdout).toBe('echo : reply: hi\necho : reply: fine\necho : \n');
    expect(t2.stdout).toBe('reply: hello\necho : reply: how are you\necho : ');
    expect(t1.stderr).toContain('talker01: bye');
    expect(t2.stderr).toContain('talker02: talker01 left');
    expect([t1.code, t2.code]).toEqual([0, 0]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('makes owner-only FIFOs (0600), not 0777', async () => {
    const t1 = await startTalker01();
    for (const name of ['fifo01', 'fifo02']) {
      const st = statSync(join(dir, name));
      expect(st.isFIFO()).toBe(true);
      expect(st.mode & 0o777).toBe(0o600);
    }
    t1.child.kill('SIGTERM');
    expect((await t1.exit).code).toBe(143);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s while waiting for talker02 removes the FIFOs', async (signal, status) => {
    const t1 = await startTalker01();
    t1.child.kill(signal);
    expect((await t1.exit).code).toBe(status);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('SIGINT mid-conversation removes the FIFOs; talker02 sees talker01 leave and ends cleanly', async () => {
    const t1 = await startTalker01(); // stdin left open: it is talker01's turn, and it waits
    const t2 = start(talker02, ['--dir', dir]);
    await t1.waitFor(/talker02 is here/, 'stderr');
    await t1.waitFor(/echo : $/);
    t1.child.kill('SIGINT');
    expect((await t1.exit).code).toBe(130);
    expect(readdirSync(dir)).toEqual([]);
    const end = await t2.exit;
    expect(end.stderr).toContain('talker01 left');
    expect(end.code).toBe(0);
  });

  it('talker01 notices talker02 leaving while it is its own turn to type', async () => {
    const t1 = await startTalker01();
    const t2 = start(talker02, ['--dir', dir]);
    await t1.waitFor(/echo : $/);
    t2.child.kill('SIGKILL'); // no goodbye: its ends of the FIFOs just close
    const end = await t1.exit;
    expect(end.stderr).toContain('talker02 left');
    expect(end.code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('Ctrl-D at the first prompt ends both', async () => {
    const { t1, t2 } = await converse([], []);
    expect(t1.stdout).toBe('echo : \n');
    expect(t2.stdout).toBe('');
    expect([t1.code, t2.code]).toEqual([0, 0]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an existing fifo01 is reported and left alone', async () => {
    writeFileSync(join(dir, 'fifo01'), 'not ours');
    const t1 = await run(talker01, ['--dir', dir]);
    expect(t1.code).toBe(1);
    expect(t1.stderr).toContain(`${join(dir, 'fifo01')} already exists`);
    expect(readdirSync(dir)).toEqual(['fifo01']); // not removed, and no fifo02 made
  });

  it('an existing fifo02 is reported; the fifo01 talker01 made is removed', async () => {
    writeFileSync(join(dir, 'fifo02'), 'not ours');
    const t1 = await run(dispatcher, ['talker01', '--dir', dir]);
    expect(t1.code).toBe(1);
    expect(t1.stderr).toContain('fifo02 already exists');
    expect(readdirSync(dir)).toEqual(['fifo02']);
  });

  it('talker02 without talker01: a clear message, exit 1', async () => {
    const t2 = await run(talker02, ['--dir', dir]);
    expect(t2.code).toBe(1);
    expect(t2.stderr).toContain('start talker01 first');
  });

  it('a bad option: usage, exit 2', async () => {
    const r = await run(dispatcher, ['talker03']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: fifo-talk talker01|talker02');
    const bad = await run(talker01, ['--nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Usage: talker01 [--dir DIR]');
    expect(existsSync(join(process.cwd(), 'fifo01'))).toBe(false);
  });

  it('property: lines arrive whole and in order, whatever their length or content', async () => {
    // Up to 3 lines of any text without a line break, some longer than PIPE_BUF (4096).
    const line = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 4000, maxLength: 9000 }),
    ).map((s) => s.replace(/[\n\r]/g, ' '));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 3 }), async (lines) => {
        const replies = lines.map((_, i) => `ok ${i}`);
        const { t1, t2 } = await converse(lines, replies);
        expect(t2.stdout).toBe(lines.map((l) => `reply: ${l}\necho : `).join(''));
        expect(t1.stdout).toBe(`${replies.map((r) => `echo : reply: ${r}\n`).join('')}echo : \n`);
      }),
      { numRuns: 4 },
    );
  });
});
