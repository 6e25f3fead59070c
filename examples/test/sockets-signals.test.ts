// fd-passing, dgram-log and signal-rpc run as real processes and print what their READMEs show.
import { describe, expect, it } from 'vitest';

import { program, run } from './helpers.js';

describe('fd-passing', () => {
  it('the receiver reads a pipe and an unlinked file and maps unlinked shared memory through descriptors it was sent', async () => {
    const r = await run(program('fd-passing'), []);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const parent = /^parent\((\d+)\): receiver (\d+) connected$/.exec(lines[0]!);
    expect(parent).not.toBeNull();
    expect(lines[1]).toBe(`receiver(${parent![2]}): "a pipe, a file and shared memory" from pid ${parent![1]}, 3 fds`);
    expect(lines.slice(2)).toEqual([
      'receiver: file says: contents of a file only the parent opened',
      'receiver: shared memory (4096 B) says: a record in memory only the parent mapped',
      'receiver: pipe says: written into the pipe after its read end left this process',
      `parent: shared memory says: answered by pid ${parent![2]}`,
    ]);
  });
});

describe('dgram-log', () => {
  it('every line arrives once, with the pid of the process that sent it', async () => {
    const r = await run(program('dgram-log'), ['4', '5']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('collector: 20 lines from 4 processes');
    const byWorker = new Map<string, Set<string>>();
    for (const l of lines.slice(0, -1)) {
      const m = /^\[pid (\d+)\] (worker-\d): line (\d)$/.exec(l);
      expect(m, l).not.toBeNull();
      byWorker.set(m![2]!, (byWorker.get(m![2]!) ?? new Set()).add(m![1]!));
    }
    expect(byWorker.size).toBe(4);
    for (const pids of byWorker.values()) expect(pids.size).toBe(1); // one sender pid per worker
  });
});

describe('signal-rpc', () => {
  it('the child reports every value (none merged or lost) with the parent as sender', async () => {
    const r = await run(program('signal-rpc'), ['6']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const parent = /^parent\((\d+)\): sending 6 values to child (\d+) on SIGRTMIN\+1$/.exec(lines[0]!);
    expect(parent).not.toBeNull();
    // Two deliveries that land on different threads at once may be reported in either order.
    expect(lines.at(-1)).toBe('child: done');
    expect(lines.slice(1, -1).sort()).toEqual(
      [1, 2, 3, 4, 5, 6].map((i) => `child(${parent![2]}): SIGRTMIN+1 value ${i * 100} from pid ${parent![1]}`).sort(),
    );
  });
});
