// Shared memory against the real kernel: System V segments and POSIX objects mapped as
// external ArrayBuffers, detach cutting every view, GC unmapping, read-only mappings without
// a writable view, and futex wait / wake across processes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { type Mapped, native, nativePath, tasks } from '@rxipc/native';

import { sleep, spawnNode } from '../../../../test/support/fs.js';

const C = native.constants;
const PEER = fileURLToPath(new URL('../fixtures/shm-peer.mjs', import.meta.url));

// ---- every test owns its objects ----

let segments: number[] = [];
let mappings: Mapped[] = [];
let names: string[] = [];
let fds: number[] = [];
let nameCounter = 0;

afterEach(async () => {
  // Waits first: a test that failed midway may have left one in flight on a mapping.
  for (const m of mappings.splice(0)) {
    try {
      if (m.length >= 0) native.shmdt(m.handle);
    } catch {
      try {
        native.munmap(m.handle);
      } catch {
        /* detached by the test */
      }
    }
  }
  for (const id of segments.splice(0)) {
    try {
      native.shmctlRemove(id);
    } catch {
      /* removed by the test */
    }
  }
  for (const fd of fds.splice(0)) {
    try {
      (await import('node:fs')).closeSync(fd);
    } catch {
      /* closed by the test */
    }
  }
  for (const n of names.splice(0)) {
    try {
      native.shmUnlink(n);
    } catch {
      /* unlinked by the test */
    }
  }
});

function segment(size = 4096): number {
  const id = native.shmget(C.IPC_PRIVATE, size, C.IPC_CREAT | 0o600);
  segments.push(id);
  return id;
}

function attach(shmid: number, flags = 0): Mapped {
  const m = native.shmat(shmid, flags);
  mappings.push(m);
  return m;
}

function shmName(): string {
  const n = `/rxipc-test-shm-${process.pid}-${++nameCounter}`;
  names.push(n);
  return n;
}

/** Runs the peer fixture and returns its JSON line; fails if it died by a signal. */
async function peer(...args: string[]): Promise<Record<string, unknown>> {
  const c = spawnNode(PEER, { args: [nativePath, ...args], timeout: 10_000 });
  const exit = await c.exited;
  expect(exit, `peer ${args.join(' ')}: ${c.stderr()}`).toEqual({ code: 0, signal: null, timedOut: false });
  return JSON.parse(c.stdout().trim().split('\n').pop()!) as Record<string, unknown>;
}

interface Waited {
  id: number;
  done: Promise<{ errno: number; at: number }>;
}

function startTask(start: () => number): Waited {
  let resolve!: (v: { errno: number; at: number }) => void;
  const done = new Promise<{ errno: number; at: number }>((r) => (resolve = r));
  const id = tasks.start(start, (final, errno) => final && resolve({ errno, at: performance.now() }));
  return { id, done };
}

const ECANCELED = 125;
const ETIMEDOUT = 110;
const EAGAIN = 11;

/** Lines of /proc/self/maps for segment `shmid` (its inode column is the id). */
function mapsOf(shmid: number): string[] {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => l.includes('/SYSV') && l.trim().split(/\s+/)[4] === String(shmid));
}

describe('System V shared memory', () => {
  it('round trip: two attachments see the same bytes; nattch follows attach and detach', () => {
    const id = segment(10_000);
    const a = attach(id);
    expect(a.length).toBe(10_000);
    expect(a.writable).toBe(true);
    expect(a.buffer!.byteLength).toBe(10_000);
    const b = attach(id);
    expect(native.shmctlStat(id).nattch).toBe(2);
    expect(mapsOf(id)).toHaveLength(2);
    new Uint32Array(a.buffer!)[2499] = 0xdeadbeef; // the last word
    expect(new Uint32Array(b.buffer!)[2499]).toBe(0xdeadbeef);
    expect(native.mappingRead(b.handle, 9996, 100)).toEqual(Buffer.from([0xef, 0xbe, 0xad, 0xde])); // clamped
    native.mappingWrite(b.handle, 0, Buffer.from('hello'));
    expect(Buffer.from(a.buffer!, 0, 5).toString()).toBe('hello');
    expect(native.mappingLoad32(a.handle, 9996)).toBe(0xdeadbeef);
    native.shmdt(a.handle);
    expect(native.shmctlStat(id).nattch).toBe(1);
    expect(mapsOf(id)).toHaveLength(1);
    const st = native.shmctlStat(id);
    expect(st).toMatchObject({ segsz: 10_000, cpid: process.pid, lpid: process.pid });
    expect(st.perm.mode & 0o777).toBe(0o600);
  });

  it('IPC_RMID while attached: SHM_DEST until the last detach, then the id is gone', () => {
    const id = segment();
    const m = attach(id);
    native.shmctlRemove(id);
    const st = native.shmctlStat(id);
    expect(st.perm.mode & C.SHM_DEST).toBe(C.SHM_DEST);
    expect(st.perm.key).toBe(0);
    new Uint8Array(m.buffer!)[0] = 1; // still usable
    native.shmdt(m.handle);
    expect(() => native.shmctlStat(id)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'shmctl' }));
  });

  it('a child process sees what this one wrote, and this one sees its answer', async () => {
    const id = segment();
    const m = attach(id);
    Buffer.from(m.buffer!).write('hello');
    const out = await peer('read-write', String(id));
    expect(out).toEqual({ seen: 'hello', nattch: 2 });
    expect(Buffer.from(m.buffer!, 8, 5).toString()).toBe('child');
  });

  it('after shmdt every old view is empty and touching it does not crash (in a child)', async () => {
    const id = segment();
    const out = await peer('views-after-detach', String(id));
    // (undefined reads print as null in JSON; the DataView throws a TypeError, as on any detached buffer)
    expect(out).toEqual({ lengths: [0, 0, 0], reads: [null, null], dvError: 'TypeError', fillError: 'TypeError', mapped: 0 });
  });

  it('a detached handle is dead: EBADF, and the segment is no longer attached', () => {
    const id = segment();
    const m = attach(id);
    const view = new Uint8Array(m.buffer!);
    native.shmdt(m.handle);
    expect(view.length).toBe(0);
    expect(native.shmctlStat(id).nattch).toBe(0);
    for (const f of [() => native.shmdt(m.handle), () => native.mappingRead(m.handle, 0, 1), () => native.futexWake(m.handle, 0, 1)]) {
      expect(f).toThrow(expect.objectContaining({ code: 'EBADF' }));
    }
    expect(() => native.munmap(attach(id).handle)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'munmap' }));
  });

  it('garbage collection of a mapping that was never detached unmaps it (in a child)', async () => {
    const id = segment();
    const out = await peer('gc', String(id));
    expect(out).toEqual({ before: { nattch: 1, mapped: 1 }, after: { nattch: 0, mapped: 0 } });
    // GC never removes the segment itself.
    expect(native.shmctlStat(id).segsz).toBe(4096);
  });

  it('a read-only attachment has no writable view; writes are refused and the child survives', async () => {
    const id = segment();
    const m = attach(id);
    Buffer.from(m.buffer!).write('ro-ok');
    const ro = attach(id, C.SHM_RDONLY);
    expect(ro).toMatchObject({ writable: false, buffer: undefined, length: 4096 });
    expect(() => native.mappingWrite(ro.handle, 0, Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'EACCES' }));
    expect(await peer('rdonly', String(id))).toEqual({ buffer: true, writable: false, writeError: 'EACCES', read: 'ro-ok' });
  });

  it('mappingWrite that does not fit is a RangeError and writes nothing', () => {
    const m = attach(segment(16));
    expect(() => native.mappingWrite(m.handle, 12, Buffer.alloc(5, 1))).toThrow(RangeError);
    expect([...native.mappingRead(m.handle, 0, 16)]).toEqual(new Array(16).fill(0));
    expect(native.mappingRead(m.handle, 100, 5)).toHaveLength(0);
  });

  it('huge pages: a clear kernel error when none are reserved', () => {
    const free = Number(/HugePages_Free:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
    const make = () => native.shmget(C.IPC_PRIVATE, 2 << 20, C.IPC_CREAT | C.SHM_HUGETLB | C.SHM_HUGE_2MB | 0o600);
    if (free > 0) {
      segments.push(make()); // this machine has huge pages: creation must work
      return;
    }
    let err: unknown;
    try {
      segments.push(make());
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ syscall: 'shmget' });
    expect(['ENOMEM', 'EPERM']).toContain((err as { code: string }).code);
    expect(() => native.shmget(C.IPC_PRIVATE, 2 << 20, C.IPC_CREAT | C.SHM_HUGETLB | C.SHM_NORESERVE | 0o600)).toThrow(RangeError);
  });

  it('limits, usage and SHM_STAT_ANY', () => {
    const id = segment();
    const limits = native.shmctlInfo(C.IPC_INFO);
    expect(limits).toHaveProperty('shmmni');
    expect((limits as { shmmin: number }).shmmin).toBe(1);
    const usage = native.shmctlInfo(C.SHM_INFO) as { usedIds: number; index: number };
    expect(usage.usedIds).toBeGreaterThanOrEqual(1);
    // Our segment is found by index.
    let found = false;
    for (let i = 0; i <= usage.index && !found; i++) {
      try {
        found = native.shmctlStatIndex(i, true).id === id;
      } catch {
        /* a free slot */
      }
    }
    expect(found).toBe(true);
    native.shmctlSet(id, { mode: 0o640 });
    expect(native.shmctlStat(id).perm.mode & 0o777).toBe(0o640);
  });

  it('SHM_LOCK / SHM_UNLOCK show as SHM_LOCKED in the mode (or EPERM without the right)', () => {
    const id = segment();
    try {
      native.shmctlLock(id, true);
    } catch (err) {
      expect(err).toMatchObject({ code: 'EPERM', syscall: 'shmctl' });
      return;
    }
    expect(native.shmctlStat(id).perm.mode & C.SHM_LOCKED).toBe(C.SHM_LOCKED);
    native.shmctlLock(id, false);
    expect(native.shmctlStat(id).perm.mode & C.SHM_LOCKED).toBe(0);
  });
});

describe('POSIX shared memory', () => {
  it('shm_open, ftruncate, fstat, mmap: plain bytes that another process sees and answers', async () => {
    const name = shmName();
    const fd = native.shmOpen(name, C.O_RDWR | C.O_CREAT | C.O_EXCL, 0o600);
    fds.push(fd);
    expect(() => native.shmOpen(name, C.O_RDWR | C.O_CREAT | C.O_EXCL, 0o600)).toThrow(expect.objectContaining({ code: 'EEXIST', path: name }));
    native.ftruncate(fd, 8192);
    expect(native.fstat(fd)).toMatchObject({ size: 8192, mode: 0o100600, uid: process.getuid!() });
    expect(readFileSync(`/dev/shm${name}`).length).toBe(8192); // no header of ours
    const m = native.mmap(fd, 8192, C.PROT_READ | C.PROT_WRITE, 0);
    mappings.push(m);
    Buffer.from(m.buffer!).write('hello');
    expect(await peer('posix', name)).toEqual({ seen: 'hello', size: 8192 });
    expect(Buffer.from(m.buffer!, 16, 5).toString()).toBe('posix');
    // A read-only mapping of the second page, and a range past the end refused up front.
    const ro = native.mmap(fd, 4096, C.PROT_READ, 4096);
    mappings.push(ro);
    expect(ro.buffer).toBeUndefined();
    expect(() => native.mmap(fd, 4097, C.PROT_READ, 4096)).toThrow(RangeError);
    native.munmap(m.handle);
    expect(m.buffer!.byteLength).toBe(0);
    native.shmUnlink(name);
    expect(() => native.shmUnlink(name)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'shm_unlink' }));
  });

  it('names with a slash inside are refused by the C library', () => {
    expect(() => native.shmOpen('/a/../b', C.O_RDONLY, 0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('futex', () => {
  it('EAGAIN when the word differs; ETIMEDOUT after the timeout, not before', async () => {
    const m = attach(segment());
    expect((await startTask(() => native.futexWait(m.handle, 0, 1)).done).errno).toBe(EAGAIN);
    const t0 = performance.now();
    const r = await startTask(() => native.futexWait(m.handle, 0, 0, 40)).done;
    expect(r.errno).toBe(ETIMEDOUT);
    expect(r.at - t0).toBeGreaterThanOrEqual(38);
  });

  it('a wait is woken by futexWake from another process', async () => {
    const id = segment();
    const m = attach(id);
    const w = startTask(() => native.futexWait(m.handle, 64, 0));
    const out = await peer('futex-wake', String(id), '64', '5');
    expect(out).toEqual({ woken: 1 });
    expect((await w.done).errno).toBe(0);
    expect(new Int32Array(m.buffer!)[16]).toBe(5);
  });

  it('cancel ends a wait promptly', async () => {
    const m = attach(segment());
    const w = startTask(() => native.futexWait(m.handle, 0, 0));
    await sleep(20);
    const t0 = performance.now();
    tasks.cancel(w.id);
    const r = await w.done;
    expect(r.errno).toBe(ECANCELED);
    expect(r.at - t0).toBeLessThan(50);
  });

  it('shmdt / munmap while waits are in flight: the waits end, then the memory goes', async () => {
    const id = segment();
    const m = attach(id);
    const waits = [0, 4, 8].map((off) => startTask(() => native.futexWait(m.handle, off, 0)));
    await sleep(20);
    native.shmdt(m.handle); // returns only after the waits let go of the mapping
    expect(native.shmctlStat(id).nattch).toBe(0);
    expect(mapsOf(id)).toEqual([]);
    expect(m.buffer!.byteLength).toBe(0);
    for (const w of waits) expect((await w.done).errno).toBe(ECANCELED);
    // A new wait on the dead handle is refused.
    expect(() => native.futexWait(m.handle, 0, 0)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    // Same for a read-only POSIX mapping (no ArrayBuffer at all).
    const name = shmName();
    const fd = native.shmOpen(name, C.O_RDWR | C.O_CREAT, 0o600);
    fds.push(fd);
    native.ftruncate(fd, 4096);
    const ro = native.mmap(fd, 4096, C.PROT_READ, 0);
    const w = startTask(() => native.futexWait(ro.handle, 0, 0));
    await sleep(10);
    native.munmap(ro.handle);
    expect((await w.done).errno).toBe(ECANCELED);
  });
});
