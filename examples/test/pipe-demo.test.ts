// pipe-demo: the parent's arguments reach the child through an anonymous pipe.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { program, run } from './helpers.js';

const demo = program('pipe-demo');

describe('pipe-demo', () => {
  it('prints the child line, then the message, and exits 0', async () => {
    const { code, stdout, stderr } = await run(demo, ['hello', 'world']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^child\((\d+)\) write to STDOUT_FILENO\nhello world\n$/);
  });

  it('the child is another process', async () => {
    const { stdout } = await run(demo, ['x']);
    const pid = Number(/^child\((\d+)\)/.exec(stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
  });

  it('without arguments: usage on stderr, exit 1, no child', async () => {
    const { code, stdout, stderr } = await run(demo, []);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('Usage: pipe-demo mesg...\n');
  });

  it('a message larger than the pipe capacity arrives whole', async () => {
    // 100 kB > the 64 KiB pipe: the parent's write has to wait for the child to read.
    const big = 'abcdefghij'.repeat(10_000);
    const { code, stdout } = await run(demo, [big]);
    expect(code).toBe(0);
    expect(stdout.split('\n')[1]).toBe(big);
  });

  it('property: any arguments arrive as one line, joined by single spaces', async () => {
    // Arguments without NUL (argv cannot hold one) and without newlines (one line out).
    const arg = fc.string({ unit: 'grapheme', minLength: 0, maxLength: 40 }).filter((s) => !/[\0\n\r]/.test(s));
    await fc.assert(
      fc.asyncProperty(fc.array(arg, { minLength: 1, maxLength: 5 }), async (args) => {
        const { code, stdout } = await run(demo, args);
        expect(code).toBe(0);
        expect(stdout.slice(stdout.indexOf('\n') + 1)).toBe(`${args.join(' ')}\n`);
      }),
      { numRuns: 8 },
    );
  });
});
