// Anonymous pipes against the real kernel and real child processes: round trip, EOF when
// the writer's process exits, EPIPE (never SIGPIPE), capacity, packet mode splitting, a
// read end handed to a child that the parent never reads, and no fd left after close.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  constants,
  createPipe,
  getPipeCapacity,
  PIPE_BUF_SIZE,
  pipeMaxSize,
  PipeReadable,
  readableFromFd,
  setPipeCapacity,
  writableFromFd,
} from '@rxipc/core';

import { native } from '@rxipc/native';

import { countFds, isCloseOnExec, isFdOpen, killChildren, sleep, spawnNode, waitUntil } from '../../../../test/support/fs.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

afterEach(() => killChildren());

/** Collects a readable to its end. */
function collect(r: PipeReadable): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.once('end', () => resolve(chunks));
    r.once('error', reject);
  });
}

const closed = (s: NodeJS.EventEmitter) => new Promise<void>((r) => s.once('close', () => r()));

let baseFds: number;
beforeAll(() => {
  baseFds = countFds();
});

describe('createPipe', () => {
  it('round trip in one process, then both fds are closed', async () => {
    const { readable, writable } = createPipe();
    const { fd: rfd } = readable;
    const { fd: wfd } = writable;
    expect(isFdOpen(rfd) && isFdOpen(wfd)).toBe(true);
    const done = collect(readable);
    writable.write('hello ');
    writable.end(Buffer.from('world'));
    expect(Buffer.concat(await done).toString()).toBe('hello world');
    await Promise.all([readable.closed ? Promise.resolve() : closed(readable), writable.closed ? Promise.resolve() : closed(writable)]);
    expect(isFdOpen(rfd) || isFdOpen(wfd)).toBe(false);
  });

  it('both ends are O_CLOEXEC (plain and packet mode); packet mode is O_DIRECT on the write end', () => {
    // F_GETFL cannot show O_CLOEXEC (an fd flag): /proc/self/fdinfo's flags: field does.
    for (const packet of [false, true]) {
      const p = createPipe({ packet });
      try {
        expect(isCloseOnExec(p.readable.fd), `read end, packet ${packet}`).toBe(true);
        expect(isCloseOnExec(p.writable.fd), `write end, packet ${packet}`).toBe(true);
      } finally {
        p[Symbol.dispose]();
      }
    }
    const { readable, writable, [Symbol.dispose]: dispose } = createPipe({ packet: true });
    try {
      const wflags = native.getFileFlags(writable.fd);
      expect(wflags & constants.O_DIRECT).toBe(constants.O_DIRECT);
      expect(wflags & constants.O_ACCMODE).toBe(constants.O_WRONLY);
      expect(native.getFileFlags(readable.fd) & constants.O_ACCMODE).toBe(constants.O_RDONLY);
      expect(readable.readableObjectMode).toBe(true);
    } finally {
      dispose();
    }
  });

  it('[Symbol.dispose] and close() release both fds', async () => {
    const before = countFds();
    const p = createPipe();
    expect(countFds()).toBe(before + 2);
    p[Symbol.dispose]();
    await waitUntil(() => countFds() === before, { message: 'both fds to close' });
    const q = createPipe({ packet: true });
    q.readable.close();
    q.writable.close();
    await waitUntil(() => countFds() === before, { message: 'both fds to close' });
  });

  it('EOF when the writing child exits', async () => {
    const { readable, writable } = createPipe();
    const child = spawnNode(fixture('pipe-write-exit.mjs'), { args: ['from the child'], stdio: ['ignore', 'pipe', 'pipe', writable.fd] });
    writable.destroy(); // the child holds the only write end now
    const chunks = await collect(readable);
    expect(Buffer.concat(chunks).toString()).toBe('from the child');
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
  });

  it('EPIPE on the parent\'s writable when the reading child is gone; the process lives on', async () => {
    const { readable, writable } = createPipe();
    // The only reader is a child, and it dies.
    const reader = spawnNode(fixture('pipe-drain.mjs'), { stdio: ['ignore', 'pipe', 'pipe', readable.fd] });
    readable.destroy();
    reader.kill();
    expect((await reader.exited).signal).toBe('SIGKILL');
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      writable.once('error', resolve);
      const pump = () => {
        while (!writable.destroyed && writable.write(Buffer.alloc(4096)));
        if (!writable.destroyed) writable.once('drain', pump);
      };
      pump();
    });
    expect(err.code).toBe('EPIPE');
    expect(err.syscall).toBe('write');
    expect(writable.destroyed).toBe(true);
    // Still here, and pipes still work.
    const again = createPipe();
    const got = collect(again.readable);
    again.writable.end('alive');
    expect(Buffer.concat(await got).toString()).toBe('alive');
  });

  it('EPIPE in a child writing to a pipe whose reader is gone: an error event, never SIGPIPE', async () => {
    const { readable, writable } = createPipe();
    const child = spawnNode(fixture('pipe-epipe.mjs'), { stdio: ['ignore', 'pipe', 'pipe', writable.fd] });
    readable.destroy();
    writable.destroy();
    const exit = await child.exited;
    expect(exit, child.stderr()).toMatchObject({ code: 0, signal: null });
    expect(child.stdout()).toBe('EPIPE write\n');
  });

  it('a read end handed to a child is never read by the parent (manualStart)', async () => {
    const { readable, writable } = createPipe();
    const data = Buffer.alloc(60_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    await new Promise<void>((r) => writable.write(data, () => r()));
    // The parent keeps its PipeReadable, with the loop running: a stream that read on its
    // own would take the data now.
    await sleep(50);
    expect(readable.bytesRead).toBe(0);
    expect(readable.readableLength).toBe(0);
    const child = spawnNode(fixture('pipe-drain.mjs'), { stdio: ['ignore', 'pipe', 'pipe', readable.fd] });
    writable.end();
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
    expect(child.stdout()).toBe(`${data.length} ${createHash('sha256').update(data).digest('hex')}\n`);
    expect(readable.bytesRead).toBe(0);
    readable.destroy();
  });

  it('a child opens its inherited ends as streams with one call each (echo through two pipes)', async () => {
    const toChild = createPipe();
    const fromChild = createPipe();
    const child = spawnNode(fixture('pipe-echo.mjs'), {
      stdio: ['ignore', 'pipe', 'pipe', toChild.readable.fd, fromChild.writable.fd],
    });
    toChild.readable.destroy();
    fromChild.writable.destroy();
    const got = collect(fromChild.readable);
    toChild.writable.write('ping ');
    toChild.writable.end('pong');
    expect(Buffer.concat(await got).toString()).toBe('ping pong');
    expect(await child.exited, child.stderr()).toMatchObject({ code: 0, signal: null });
  });
});

describe('ends handed to a child that is not Node', () => {
  const run = (script: string, fd: number) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe', fd] });
      let out = '';
      let err = '';
      child.stdout!.on('data', (b: Buffer) => (out += b));
      child.stderr!.on('data', (b: Buffer) => (err += b));
      child.on('close', (code) => resolve({ code, out, err }));
    });
  const O_NONBLOCK = 0o4000;
  const flagsOf = (fdinfo: string) => Number.parseInt(/^flags:\s*(\d+)/m.exec(fdinfo)![1]!, 8);

  it('get a blocking fd: wrapping an end in a stream does not make the child see O_NONBLOCK', async () => {
    const { readable, writable } = createPipe();
    try {
      for (const end of [readable, writable]) {
        const { code, out } = await run('cat /proc/self/fdinfo/3', end.fd);
        expect(code).toBe(0);
        expect(flagsOf(out) & O_NONBLOCK).toBe(0);
      }
    } finally {
      readable.destroy();
      writable.destroy();
    }
  });

  it('a plain `cat <&3` reads what the parent writes later, without EAGAIN', async () => {
    const { readable, writable } = createPipe();
    const result = run('cat <&3', readable.fd);
    readable.destroy(); // the parent's copy
    await sleep(100); // the child is already blocked in read(2) by now
    writable.write('late ');
    writable.end('data');
    const { code, out, err } = await result;
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toBe('late data');
  });
});

describe('readableFromFd / writableFromFd', () => {
  it('reject an fd open in the wrong direction, and bad fds', () => {
    const { readable, writable, [Symbol.dispose]: dispose } = createPipe();
    try {
      expect(() => readableFromFd(writable.fd)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => writableFromFd(readable.fd)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => readableFromFd(-1)).toThrow(RangeError);
      expect(() => readableFromFd('3' as unknown as number)).toThrow(TypeError);
      expect(() => readableFromFd(1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => readableFromFd(99_999)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fcntl' }));
    } finally {
      dispose();
    }
  });
});

describe('packet mode', () => {
  it('a write larger than PIPE_BUF arrives as PIPE_BUF packets', async () => {
    const { readable, writable } = createPipe({ packet: true });
    const big = Buffer.alloc(PIPE_BUF_SIZE * 2 + 1808);
    for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
    const got = collect(readable);
    writable.write(Buffer.from('a'));
    writable.write(big);
    writable.end(Buffer.from('z'));
    const packets = await got;
    expect(packets.map((p) => p.length)).toEqual([1, PIPE_BUF_SIZE, PIPE_BUF_SIZE, 1808, 1]);
    expect(Buffer.concat(packets.slice(1, 4)).equals(big)).toBe(true);
  });

  it('packets still queued when the last writer closes are all delivered before the end', async () => {
    const { readable, writable } = createPipe({ packet: true });
    for (let i = 1; i <= 10; i++) writable.write(Buffer.alloc(i, i));
    await new Promise<void>((r) => writable.end(() => r()));
    await closed(writable);
    // Every packet is in the kernel and the write end is closed before reading starts.
    const packets = await collect(readable);
    expect(packets.map((p) => p.length)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('a byte-mode pipe is not in object mode (chunks may merge)', async () => {
    const { readable, writable } = createPipe();
    expect(readable.readableObjectMode).toBe(false);
    const got = collect(readable);
    writable.write('a');
    writable.end('b');
    expect(Buffer.concat(await got).toString()).toBe('ab');
  });
});

describe('pipe capacity', () => {
  it('default 64 KiB; set returns what the kernel chose; both ends agree', () => {
    const p = createPipe();
    try {
      expect(getPipeCapacity(p.writable)).toBe(65536);
      expect(setPipeCapacity(p.writable, 100_000)).toBe(131072);
      expect(getPipeCapacity(p.readable)).toBe(131072);
      expect(getPipeCapacity(p.readable.fd)).toBe(131072);
    } finally {
      p[Symbol.dispose]();
    }
    const q = createPipe({ capacity: 8192 });
    try {
      expect(getPipeCapacity(q.readable)).toBe(8192);
    } finally {
      q[Symbol.dispose]();
    }
  });

  it('above /proc/sys/fs/pipe-max-size: RangeError before any syscall, no fd left', () => {
    const max = pipeMaxSize();
    expect(max).toBeGreaterThanOrEqual(4096);
    const before = countFds();
    const p = createPipe();
    try {
      expect(setPipeCapacity(p.writable, max)).toBe(max);
      const err = (() => {
        try {
          setPipeCapacity(p.writable, max + 1);
        } catch (e) {
          return e as RangeError & { code: string };
        }
        throw new Error('no throw');
      })();
      expect(err).toBeInstanceOf(RangeError);
      expect(err.code).toBe('ERR_OUT_OF_RANGE');
      expect(err.message).toContain('pipe-max-size');
      expect(getPipeCapacity(p.writable)).toBe(max);
    } finally {
      p[Symbol.dispose]();
    }
    expect(() => createPipe({ capacity: max + 1 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(() => createPipe({ capacity: 0 })).toThrow(RangeError);
    expect(() => createPipe({ capacity: '1' as unknown as number })).toThrow(TypeError);
    expect(() => createPipe({ packet: 1 as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    return waitUntil(() => countFds() === before, { message: 'no fd left' });
  });
});

describe('no fd left behind', () => {
  it('by this file\'s pipes', async () => {
    await waitUntil(() => countFds() === baseFds, { message: () => `fds ${countFds()} back to ${baseFds}` });
  });
});
