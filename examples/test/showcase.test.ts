// The showcase (`npm run demo`): runs to the end by itself, quickly, and leaves nothing behind.
import { existsSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { program, queueIds, run, start } from './helpers.js';

const showcase = program('showcase');

const dirOf = (stdout: string) => /temporary directory (\S+)/.exec(stdout)?.[1] ?? '';
const queueOf = (stdout: string) => Number(/msgget\(IPC_PRIVATE\): queue (\d+)/.exec(stdout)?.[1]);

describe('showcase', () => {
  it('shows every mechanism, exits 0 within 15 s, and leaves no queue, FIFO or temp dir', async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await run(showcase);
    const took = Date.now() - started;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(took).toBeLessThan(15_000);

    // (a) pipes: the child read the parent's message; packets kept their boundaries.
    expect(stdout).toMatch(/pipe-reader\(\d+\) +read "hello through an anonymous pipe" from fd 3/);
    expect(stdout).toContain('byte-stream pipe: 1 read gets it all: "onetwothree"');
    expect(stdout).toContain('packet pipe:      3 reads, one per write: "one" "two" "three"');
    // (b) FIFO: the open waited for the reader; timeout and abort both gave up.
    expect(stdout).toMatch(/open resolved after \d+ ms, when the reader came/);
    expect(stdout).toMatch(/fifo-reader\(\d+\) +got line "second line"/);
    expect(stdout).toMatch(/openWritable\(\{ timeout: 200 \}\), nobody reading: ETIMEDOUT/);
    expect(stdout).toMatch(/openReadable\(\{ signal \}\), aborted by the parent: AbortError/);
    // (c) queue: kernel filtering, stream, typed JSON, EIDRM across processes.
    expect(stdout.match(/rx messages\(\{ type: 3 \}\): type 3 "tick \d"/g)).toHaveLength(3);
    expect(stdout).toContain('tryReceive({ type: 4 }) -> "for another consumer"');
    expect(stdout).toContain('createReadStream({ type: 5 }): type 5 "stream line 2"');
    expect(stdout).toContain("typed.messages('point'): { x: 1, y: 2 }, { x: 3, y: 5 }");
    expect(stdout).toMatch(/queue-waiter\(\d+\) +receive failed: EIDRM/);
    // (d) shared memory and semaphores: an exact counter, records seen through the futex, a
    // semaphore wait that left the child's event loop running, detach emptying old views.
    expect(stdout).toContain('counter = 10000 (2 × 5000, nothing lost)');
    expect(stdout.match(/shmChanges\(notify\) at offset 64: "adder \d+ done"/g)).toHaveLength(2);
    expect(stdout).toMatch(/sem-waiter\(\d+\) +acquired after \d+ ms; [1-9]\d* timer ticks ran meanwhile/);
    expect(stdout).toContain('after detach(): the Buffer view has length 0, the Uint32Array 0; read() -> ERR_RXIPC_DETACHED');
    // (e) sockets and signals: boundaries (an empty message too), credentials, a passed fd, sigqueue.
    expect(stdout).toMatch(/socket-peer\(\d+\) +message of 0 bytes "" from pid \d+/);
    expect(stdout).toMatch(/socket-peer\(\d+\) +message of 14 bytes "a pipe for you" from pid \d+, with 1 fd/);
    expect(stdout).toContain('read "hello through a passed fd" from a pipe whose write end the child was sent');
    expect(stdout).toMatch(/signals\('SIGRTMIN\+1'\): value 42 from pid (\d+) \(the child is \1\)/);
    expect(stdout).toMatch(/all done in [\d.]+ s/);

    // Nothing left: its queue, its FIFO and the FIFO's temporary directory are gone. (Checked
    // by name: other test files run at the same time and make queues and dirs of their own;
    // the suite's leak sweep checks that nothing at all was left.)
    expect(queueIds().has(queueOf(stdout))).toBe(false);
    expect(existsSync(dirOf(stdout))).toBe(false);
  });

  it.each([
    ['the FIFO open is waiting', /open for writing: no reader yet/],
    ['the queue exists', /msgget\(IPC_PRIVATE\): queue \d+/],
  ])('Ctrl-C while %s: exits 130 and cleans up', async (_when, moment) => {
    const running = start(showcase, [], { detached: true });
    const out = await running.waitFor(moment);
    process.kill(-running.child.pid!, 'SIGINT'); // the whole process group, like a terminal
    const end = await running.exit;
    expect(end.code).toBe(130);
    expect(end.stdout).toContain('SIGINT: cleaning up');
    expect(existsSync(dirOf(out))).toBe(false);
    const id = queueOf(out);
    if (id) expect(queueIds().has(id)).toBe(false);
  });
});
