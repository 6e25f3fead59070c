// FIFOs against the real kernel and real child processes: safe default mode, EEXIST, opens
// that wait for the peer (never ENXIO, never the event loop or the libuv pool), abort and
// timeout of a pending open, non-FIFO paths, end-of-stream rules, removeOnClose, the *at
// calls, and no fd and no thread left behind.
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { constants, Fifo, type PipeReadable, unlink, unlinkAt } from '@rxipc/core';
import { native, tasks } from '@rxipc/native';

import {
  Baseline,
  countFds,
  killChildren,
  makeTempDir,
  shortWaiterIdle,
  sleep,
  spawnNode,
  type TempDir,
  waitUntil,
  warmUpThreads,
} from '../../../../test/support/fs.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

let dir: TempDir;
let restoreIdle: () => void;
let oldUmask: number;
beforeAll(async () => {
  restoreIdle = shortWaiterIdle(20);
  oldUmask = process.umask(0o022);
  await warmUpThreads();
});
afterAll(() => {
  restoreIdle();
  process.umask(oldUmask);
});
beforeEach(() => {
  dir = makeTempDir('fifo');
});
afterEach(() => {
  killChildren();
  dir.remove();
});

const busyWaiters = () => native.testing.waiterStats().threads - native.testing.waiterStats().idle;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

function readAll(r: PipeReadable): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    r.setEncoding('utf8');
    r.on('data', (c: string) => (s += c));
    r.once('end', () => resolve(s));
    r.once('error', reject);
  });
}

describe('Fifo.create', () => {
  it('default mode is 0o600 (umask 0o022 in effect): never world- or group-accessible', () => {
    const f = Fifo.create(dir.unique('fifo'));
    const st = statSync(f.path);
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('a wider mode only when asked, still filtered by the umask', () => {
    const a = Fifo.create(dir.unique('fifo'), { mode: 0o666 });
    expect(statSync(a.path).mode & 0o777).toBe(0o644);
    process.umask(0);
    try {
      const b = Fifo.create(dir.unique('fifo'));
      expect(statSync(b.path).mode & 0o777).toBe(0o600); // the default stays private without a umask
      const c = Fifo.create(dir.unique('fifo'), { mode: 0o622 });
      expect(statSync(c.path).mode & 0o777).toBe(0o622); // world-writable: asked for
    } finally {
      process.umask(0o022);
    }
  });

  it('EEXIST when anything exists at the path, with code, errno, syscall and path', () => {
    const p = dir.unique('fifo');
    Fifo.create(p);
    const err = (() => {
      try {
        Fifo.create(p);
      } catch (e) {
        return e as Error & Record<string, unknown>;
      }
      throw new Error('no throw');
    })();
    expect(err).toMatchObject({ code: 'EEXIST', errno: 17, syscall: 'mkfifo', path: p });
    expect(err.message).toBe(`EEXIST: file exists, mkfifo '${p}'`);
    const file = dir.file('plain');
    writeFileSync(file, '');
    expect(() => Fifo.create(file)).toThrow(expect.objectContaining({ code: 'EEXIST', path: file }));
  });

  it('misuse is a synchronous TypeError / RangeError', () => {
    expect(() => Fifo.create('')).toThrow(RangeError);
    expect(() => Fifo.create('a\0b')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => Fifo.create(dir.unique(), { mode: 0o1777 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => Fifo.create(dir.unique(), { mode: '600' as unknown as number })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => Fifo.create(1 as unknown as string)).toThrow(TypeError);
  });

  it('removeOnClose removes it in close() (idempotent, and via Symbol.dispose); the default keeps it', async () => {
    const a = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    let closes = 0;
    a.on('close', () => closes++);
    a.close();
    a.close();
    expect(existsSync(a.path)).toBe(false);
    expect(closes).toBe(1);
    expect(await rejection(a.openReadable())).toMatchObject({ code: 'ERR_RXIPC_CLOSED' });
    const b = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    b[Symbol.dispose]();
    expect(existsSync(b.path)).toBe(false);
    const c = Fifo.create(dir.unique('fifo'));
    c.close();
    expect(statSync(c.path).isFIFO()).toBe(true);
    // Already removed by someone else: close() still succeeds.
    const d = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    d.remove();
    expect(() => d.close()).not.toThrow();
  });
});

describe('opening a FIFO', () => {
  it('openWritable waits for a reader (no ENXIO): a child reader that comes later gets the data', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    let settled = false;
    const opening = fifo.openWritable().finally(() => (settled = true));
    await sleep(50);
    expect(settled).toBe(false);
    const child = spawnNode(fixture('fifo-reader.mjs'), { args: [fifo.path, '100'] });
    const w = await opening;
    w.end('to the late reader');
    expect(await child.exited, child.stderr()).toMatchObject({ code: 0, signal: null });
    expect(child.stdout()).toBe('opening\n{"data":"to the late reader"}\n');
    fifo.close();
  });

  it('openReadable waits for a writer; a child writer that comes later is read to its end', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    let settled = false;
    const opening = fifo.openReadable().finally(() => (settled = true));
    await sleep(50);
    expect(settled).toBe(false);
    const child = spawnNode(fixture('fifo-writer.mjs'), { args: [fifo.path, 'from the late writer', '100'] });
    await child.line('opening');
    const r = await opening;
    expect(await readAll(r)).toBe('from the late writer');
    expect(await child.exited, child.stderr()).toMatchObject({ code: 0, signal: null });
    fifo.close();
  });

  it('abort of a pending open rejects with AbortError within 5 ms (median of 10; each < 50 ms)', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const ac = new AbortController();
      const reason = new Error(`stop ${i}`);
      const opening = i % 2 === 0 ? fifo.openReadable({ signal: ac.signal }) : fifo.openWritable({ signal: ac.signal });
      await waitUntil(() => busyWaiters() === 1, { message: 'the open to wait on a waiter thread' });
      const t0 = performance.now();
      ac.abort(reason);
      const err = await rejection(opening);
      latencies.push(performance.now() - t0);
      expect(err.name).toBe('AbortError');
      expect(err.code).toBe('ABORT_ERR');
      expect(err.cause).toBe(reason);
    }
    const shown = latencies.map((l) => l.toFixed(2)).join(' ');
    expect(median(latencies), shown).toBeLessThan(5);
    expect(Math.max(...latencies), shown).toBeLessThan(50);
    fifo.close();
  });

  it('an already aborted signal rejects at once and starts no wait', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const pending = tasks.pending;
    const signal = AbortSignal.abort();
    expect(await rejection(fifo.openReadable({ signal }))).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(await rejection(fifo.openWritable({ signal }))).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(await rejection(fifo.openReadable({ signal, keepOpen: true }))).toMatchObject({ name: 'AbortError' });
    expect(tasks.pending).toBe(pending);
    fifo.close();
  });

  it('timeout rejects with ETIMEDOUT (code, errno, syscall, path)', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    for (const open of [() => fifo.openReadable({ timeout: 30 }), () => fifo.openWritable({ timeout: 30 })]) {
      const t0 = performance.now();
      const err = await rejection(open());
      const elapsed = performance.now() - t0;
      expect(err).toMatchObject({ code: 'ETIMEDOUT', errno: 110, syscall: 'open', path: fifo.path });
      expect(elapsed).toBeGreaterThanOrEqual(25);
      expect(elapsed).toBeLessThan(1000);
    }
    fifo.close();
  });

  it('a path that is not a FIFO fails with ERR_RXIPC_NOT_FIFO and leaves no fd open', async () => {
    const file = dir.file('plain');
    writeFileSync(file, 'not a fifo');
    const sub = dir.file('sub');
    mkdirSync(sub);
    const before = countFds();
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['readable, file', () => Fifo.openReadable(file)],
      ['writable, file', () => Fifo.openWritable(file)],
      ['keepOpen, file', () => Fifo.openReadable(file, { keepOpen: true })],
      ['readable, directory', () => Fifo.openReadable(sub)],
      ['writable, directory', () => Fifo.openWritable(sub)],
      ['keepOpen, directory', () => Fifo.openReadable(sub, { keepOpen: true })],
    ];
    for (const [what, open] of cases) {
      const err = await rejection(open());
      expect(err.code, what).toBe('ERR_RXIPC_NOT_FIFO');
      expect(err.path, what).toBe(what.endsWith('file') ? file : sub);
      expect(err.message, what).toMatch(/is not a FIFO \(it is a (regular file|directory)\)/);
    }
    expect(countFds()).toBe(before);
    // A path that does not exist is the kernel's ENOENT.
    const missing = dir.file('missing');
    expect(await rejection(Fifo.openReadable(missing))).toMatchObject({ code: 'ENOENT', syscall: 'open', path: missing });
    expect(await rejection(Fifo.openWritable(missing))).toMatchObject({ code: 'ENOENT', syscall: 'open', path: missing });
  });
});

describe('end-of-stream', () => {
  it('a reader sees the end when the last of two writers closes, not before', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const [r, w1] = await Promise.all([fifo.openReadable(), fifo.openWritable()]);
    const w2 = await fifo.openWritable();
    let ended = false;
    r.once('end', () => (ended = true));
    const all = readAll(r);
    await new Promise<void>((res) => w1.end('first ', () => res()));
    await sleep(50);
    expect(ended).toBe(false);
    w2.end('second');
    expect(await all).toBe('first second');
    fifo.close();
  });

  it('keepOpen: data from two successive child writers, no end in between; close releases its fd', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const before = countFds();
    const r = await fifo.openReadable({ keepOpen: true }); // resolves without any writer
    expect(countFds()).toBe(before + 1); // one O_RDWR fd: the reader is a writer of its own
    let data = '';
    let ended = false;
    r.setEncoding('utf8');
    r.on('data', (c: string) => (data += c));
    r.on('end', () => (ended = true));
    for (const text of ['one;', 'two;']) {
      const child = spawnNode(fixture('fifo-writer.mjs'), { args: [fifo.path, text, '0'] });
      expect(await child.exited, child.stderr()).toMatchObject({ code: 0, signal: null });
      await waitUntil(() => data.endsWith(text), { message: `"${text}" to arrive` });
    }
    await sleep(30);
    expect(data).toBe('one;two;');
    expect(ended).toBe(false);
    r.destroy();
    await waitUntil(() => countFds() === before, { message: 'the reader to close' });
    fifo.close();
  });
});

describe('names: createAt, unlink, unlinkAt', () => {
  it('createAt with a directory fd and with AT_FDCWD', () => {
    const dfd = openSync(dir.path, 'r');
    try {
      Fifo.createAt(dfd, 'via-dirfd');
      const st = statSync(dir.file('via-dirfd'));
      expect(st.isFIFO()).toBe(true);
      expect(st.mode & 0o777).toBe(0o600);
      unlinkAt(dfd, 'via-dirfd');
      expect(existsSync(dir.file('via-dirfd'))).toBe(false);
    } finally {
      closeSync(dfd);
    }
    const cwd = process.cwd();
    process.chdir(dir.path);
    try {
      Fifo.createAt(constants.AT_FDCWD, 'via-cwd', { mode: 0o640 });
    } finally {
      process.chdir(cwd);
    }
    expect(statSync(dir.file('via-cwd')).mode & 0o777).toBe(0o640);
    expect(() => Fifo.createAt(constants.AT_FDCWD, dir.file('via-cwd'))).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => Fifo.createAt(-5, 'x')).toThrow(RangeError);
  });

  it('unlink and unlinkAt (AT_REMOVEDIR for a directory), with system errors naming the path', () => {
    const f = Fifo.create(dir.unique('fifo'));
    unlink(f.path);
    expect(existsSync(f.path)).toBe(false);
    expect(() => unlink(f.path)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'unlink', path: f.path }));
    const sub = dir.file('subdir');
    mkdirSync(sub);
    const dfd = openSync(dir.path, 'r');
    try {
      expect(() => unlinkAt(dfd, 'subdir')).toThrow(expect.objectContaining({ code: 'EISDIR', syscall: 'unlinkat', path: 'subdir' }));
      unlinkAt(dfd, 'subdir', constants.AT_REMOVEDIR);
      expect(existsSync(sub)).toBe(false);
      expect(() => unlinkAt(dfd, 'x', 1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    } finally {
      closeSync(dfd);
    }
  });
});

describe('pool isolation', () => {
  it('16 FIFOs waiting for peers leave fs working; abort frees every fd and thread', async () => {
    const base = await Baseline.take();
    const small = dir.file('small.txt');
    writeFileSync(small, 'small file');
    const waits = Array.from({ length: 16 }, (_, i) => {
      const fifo = Fifo.create(dir.unique('fifo'));
      const ac = new AbortController();
      const open = i % 2 === 0 ? fifo.openReadable({ signal: ac.signal }) : fifo.openWritable({ signal: ac.signal });
      return { ac, settled: rejection(open) };
    });
    await waitUntil(() => busyWaiters() === 16, { message: () => `16 busy waiter threads (${JSON.stringify(native.testing.waiterStats())})` });
    // A blocking open on the libuv pool (4 threads) would starve fs here. (Not done in
    // process to show it: it would hang this test.) The waiter threads leave the pool free.
    const reads = Promise.all(Array.from({ length: 8 }, () => readFile(small, 'utf8')));
    const outcome = await Promise.race([reads, sleep(1000).then(() => 'fs starved' as const)]);
    expect(outcome).toEqual(Array(8).fill('small file'));
    expect(busyWaiters()).toBe(16);
    for (const w of waits) w.ac.abort();
    for (const w of waits) expect(await w.settled).toMatchObject({ name: 'AbortError' });
    await base.expectRestored();
  });
});
