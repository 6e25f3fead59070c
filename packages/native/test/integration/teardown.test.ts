// Results in flight when an environment goes away, and buffers that change under a call:
// each runs in its own process, because the failure mode is a dead process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

describe('environment teardown and shared memory', () => {
  it('terminating a worker with deliveries queued neither kills the process nor leaks an opened FIFO fd', async () => {
    const { stdout } = await run(process.execPath, [fixture('teardown-delivery.mjs')], { timeout: 15_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ beforeTerminate: 1, fifoFds: [] }); // 1: an fd was really in flight
  });

  it('msgsndRecords copies a SharedArrayBuffer view before validating it: no out-of-bounds read', async () => {
    const { stdout } = await run(process.execPath, [fixture('shared-records.mjs')], { timeout: 15_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!).calls).toBeGreaterThan(100);
  });
});
