// SharedMemory and PosixSharedMemory against the real kernel and real child processes: sizes,
// bounds, visibility across handles and processes, stat fields, detach, read-only attachments,
// removal while attached, permissions for another user, huge pages, seqlock records (a C
// writer, a hammering writer), and a fast-check property across processes.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { IPC_PRIVATE, PosixSharedMemory, SharedMemory } from '@rxipc/core';
import { native, tasks } from '@rxipc/native';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { compileC } from '../../../../test/support/cc.js';
import { trackChild } from '../../../../test/support/children.js';
import { sleep, spawnNode } from '../../../../test/support/fs.js';
import { startChild, waitUntil } from '../../../../test/support/ipc.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const CHILD = join(fixtures, 'shm-child.mjs');

// ---- every test owns its objects ----

let objects: Array<SharedMemory | PosixSharedMemory> = [];
let ids = new Set<number>();
let names = new Set<string>();
let counter = 0;

function cleanup(): void {
  const [objs, segIds, shmNames] = [objects, ids, names];
  objects = [];
  ids = new Set();
  names = new Set();
  for (const o of objs) void o.close();
  for (const id of segIds) {
    try {
      native.shmctlRemove(id);
    } catch {
      /* removed by the test */
    }
  }
  for (const n of shmNames) {
    try {
      native.shmUnlink(n);
    } catch {
      /* unlinked by the test */
    }
  }
}
afterEach(cleanup);
afterAll(cleanup);

/** A new IPC_PRIVATE segment, removed after the test. */
function segment(size = 4096, options: { mode?: number } = {}): SharedMemory {
  const shm = SharedMemory.open(IPC_PRIVATE, { size, create: true, ...options });
  objects.push(shm);
  ids.add(shm.id);
  return shm;
}

/** Another handle on `id` (closed after the test). */
function attach(id: number, readOnly = false): SharedMemory {
  const shm = SharedMemory.fromId(id, { readOnly });
  objects.push(shm);
  return shm;
}

function shmName(): string {
  const n = `/rxipc-test-${process.pid}-${++counter}`;
  names.add(n);
  return n;
}

/** Runs the child fixture; returns its last JSON line. */
async function child(...args: string[]): Promise<Record<string, unknown>> {
  const c = spawnNode(CHILD, { args, timeout: 10_000 });
  const exit = await c.exited;
  expect(exit, `shm-child ${args.join(' ')}: ${c.stderr()}`).toEqual({ code: 0, signal: null, timedOut: false });
  return JSON.parse(c.stdout().trim().split('\n').pop()!) as Record<string, unknown>;
}

describe('SharedMemory: sizes and bounds', () => {
  it('a new segment has its size and reads as zeros', () => {
    const shm = segment(3333);
    expect(shm.size).toBe(3333);
    expect(shm.stat().size).toBe(3333);
    expect(shm.read().equals(Buffer.alloc(3333))).toBe(true);
    expect(shm.buffer.length).toBe(3333);
    expect(shm.buffer.every((b) => b === 0)).toBe(true);
  });

  it('creating with size 0 is a RangeError; a larger size than the existing segment is EINVAL; 0 opens what exists', () => {
    expect(() => SharedMemory.open(IPC_PRIVATE, { create: true })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => SharedMemory.open(IPC_PRIVATE, { create: true, size: 0 })).toThrow(RangeError);
    const key = 0x52780000 + (process.pid & 0xffff);
    const a = SharedMemory.open(key, { size: 1000, create: true, exclusive: true });
    objects.push(a);
    ids.add(a.id);
    expect(() => SharedMemory.open(key, { size: 1001 })).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'shmget' }));
    expect(() => SharedMemory.open(key, { size: 10, create: true, exclusive: true })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    const b = SharedMemory.open(key);
    objects.push(b);
    expect(b.id).toBe(a.id);
    expect(b.size).toBe(1000);
    const c = SharedMemory.open(key, { size: 10 }); // smaller is fine: the whole segment is mapped
    objects.push(c);
    expect(c.size).toBe(1000);
  });

  it('read clamps at the end; write that does not fit is a RangeError and changes nothing', () => {
    const shm = segment(16);
    shm.write(12, Buffer.from([1, 2, 3, 4]));
    expect([...shm.read(10, 100)]).toEqual([0, 0, 1, 2, 3, 4]);
    expect(shm.read(16, 5)).toHaveLength(0);
    expect(shm.read(1000)).toHaveLength(0);
    expect(() => shm.write(13, Buffer.from([9, 9, 9, 9]))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => shm.write(17, '')).toThrow(RangeError);
    expect([...shm.read(0)]).toEqual([...new Array(12).fill(0), 1, 2, 3, 4]);
    expect(() => shm.read(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => shm.write(0, 5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('SharedMemory: across handles and processes', () => {
  it('a second handle and a child see each other’s writes without re-attaching; nattch 2 -> 1', async () => {
    const a = segment();
    const b = attach(a.id);
    expect(a.stat().nattch).toBe(2);
    a.buffer.write('hello');
    expect(b.read(0, 5).toString()).toBe('hello');
    b.write(100, 'back');
    expect(a.buffer.toString('utf8', 100, 104)).toBe('back');
    expect(await child('read-write', String(a.id))).toEqual({ seen: 'hello', nattch: 3 });
    expect(a.read(8, 5).toString()).toBe('child');
    expect(b.buffer.toString('utf8', 8, 13)).toBe('child');
    b.detach();
    expect(a.stat().nattch).toBe(1);
  });

  it('stat: cpid, lpid, atime, dtime follow attach and detach', async () => {
    const t0 = Math.floor(Date.now() / 1000);
    const shm = segment();
    let st = shm.stat();
    expect(st).toMatchObject({ cpid: process.pid, lpid: process.pid, nattch: 1, removed: false, locked: false, dtime: 0 });
    expect(st.atime).toBeGreaterThanOrEqual(t0);
    expect(st.perm.mode & 0o777).toBe(0o600);
    const { pid } = (await child('attach-detach', String(shm.id))) as { pid: number };
    st = shm.stat();
    expect(st.lpid).toBe(pid);
    expect(st.cpid).toBe(process.pid);
    expect(st.dtime).toBeGreaterThanOrEqual(t0);
    expect(st.nattch).toBe(1);
  });

  it('after detach every old view is length 0 and touching it does not crash (in a child); access fails coded', async () => {
    const shm = segment();
    const out = await child('views-after-detach', String(shm.id));
    expect(out).toEqual({
      fillError: 'TypeError',
      lengths: [0, 0, 0],
      reads: [null, null, null],
      copy: 0,
      errors: Array(5).fill('ERR_RXIPC_DETACHED'),
      detachAgain: null,
    });
    // The child's writes before its detach are in the segment.
    expect(shm.buffer[0]).toBe(1);
    expect(new Uint32Array(shm.buffer.buffer, 0, 8)[5]).toBe(7);
  });

  it('after detach read/write fail with ERR_RXIPC_DETACHED; stat still works; re-opening shows the data intact', () => {
    const shm = segment();
    shm.write(0, 'kept');
    const view = shm.buffer;
    shm.detach();
    shm.detach(); // idempotent
    expect(shm.detached).toBe(true);
    expect(view.length).toBe(0);
    for (const f of [() => shm.read(0, 1), () => shm.write(0, 'x'), () => shm.buffer, () => shm.snapshot(0)]) {
      expect(f).toThrow(expect.objectContaining({ code: 'ERR_RXIPC_DETACHED' }));
    }
    expect(shm.stat().nattch).toBe(0);
    const again = attach(shm.id);
    expect(again.read(0, 4).toString()).toBe('kept');
  });

  it('a read-only attachment: no buffer, writes refused with a coded error, the child survives', async () => {
    const shm = segment();
    shm.write(0, 'ro-ok');
    const ro = attach(shm.id, true);
    expect(ro.readOnly).toBe(true);
    expect(() => ro.buffer).toThrow(expect.objectContaining({ code: 'ERR_RXIPC_READ_ONLY' }));
    expect(() => ro.write(0, 'x')).toThrow(expect.objectContaining({ code: 'ERR_RXIPC_READ_ONLY' }));
    expect(ro.read(0, 5).toString()).toBe('ro-ok');
    expect(await child('readonly', String(shm.id))).toEqual({
      readOnly: true,
      buffer: 'ERR_RXIPC_READ_ONLY',
      write: 'ERR_RXIPC_READ_ONLY',
      publish: 'ERR_RXIPC_READ_ONLY',
      read: 'ro-ok',
    });
  });

  it('remove while attached: data usable, key free (ENOENT), stat shows removal; after the last detach EIDRM', () => {
    const key = 0x52790000 + (process.pid & 0xffff);
    const shm = SharedMemory.open(key, { size: 64, create: true, exclusive: true });
    objects.push(shm);
    ids.add(shm.id);
    const removed: string[] = [];
    shm.on('removed', () => removed.push('removed'));
    shm.write(0, 'still here');
    shm.remove();
    expect(removed).toEqual(['removed']);
    expect(shm.read(0, 10).toString()).toBe('still here');
    shm.write(0, 'STILL');
    expect(shm.read(0, 5).toString()).toBe('STILL');
    expect(() => SharedMemory.open(key)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(shm.stat()).toMatchObject({ removed: true, nattch: 1 });
    shm.detach();
    expect(() => shm.stat()).toThrow(expect.objectContaining({ code: 'EIDRM', syscall: 'shmctl' }));
    expect(removed).toEqual(['removed']);
  });

  it('mode 0o600 denies another user (a child running as nobody): EACCES', async () => {
    const shm = segment(4096, { mode: 0o600 });
    const run = (id: number) =>
      new Promise<string>((resolve, reject) => {
        const c = spawn(process.execPath, [CHILD, 'open-denied', String(id)], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] });
        trackChild(c);
        let out = '';
        let err = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.stderr.on('data', (d: Buffer) => (err += d.toString()));
        c.on('error', reject);
        c.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`child exited ${code}: ${err}`))));
      });
    expect(JSON.parse(await run(shm.id))).toEqual({ uid: 65534, code: 'EACCES' });
    shm.set({ mode: 0o606 });
    expect(shm.stat().perm.mode & 0o777).toBe(0o606);
    expect(JSON.parse(await run(shm.id))).toEqual({ uid: 65534, code: null });
  });

  it('huge pages: a clear kernel error when none are reserved', () => {
    const free = Number(/HugePages_Free:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
    const make = () => SharedMemory.open(IPC_PRIVATE, { size: 2 << 20, create: true, hugePages: '2MB' });
    if (free > 0) {
      const shm = make();
      objects.push(shm);
      ids.add(shm.id);
      return;
    }
    let err: unknown;
    try {
      const shm = make();
      objects.push(shm);
      ids.add(shm.id);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ syscall: 'shmget' });
    expect(['ENOMEM', 'EPERM']).toContain((err as { code: string }).code);
    expect(() => SharedMemory.open(IPC_PRIVATE, { size: 1, create: true, hugePages: 'big' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('limits, usage, set, lock / unlock, close and dispose', async () => {
    expect(SharedMemory.limits()).toMatchObject({ shmmin: 1 });
    expect(SharedMemory.usage().usedIds).toBeGreaterThanOrEqual(0);
    const shm = segment();
    expect(SharedMemory.usage().usedIds).toBeGreaterThanOrEqual(1);
    try {
      shm.lock();
      expect(shm.stat().locked).toBe(true);
      shm.unlock();
      expect(shm.stat().locked).toBe(false);
    } catch (err) {
      expect(err).toMatchObject({ code: 'EPERM' });
    }
    const events: string[] = [];
    shm.on('close', () => events.push('close'));
    const view = shm.buffer;
    await shm.close();
    await shm.close();
    expect(events).toEqual(['close']);
    expect(view.length).toBe(0);
    expect(() => shm.read(0)).toThrow(expect.objectContaining({ code: 'ERR_RXIPC_CLOSED' }));
    expect(() => shm.stat()).toThrow(expect.objectContaining({ code: 'ERR_RXIPC_CLOSED' }));
    const other = attach(shm.id);
    other[Symbol.dispose]();
    expect(other.closed).toBe(true);
    expect(other.detached).toBe(true);
  });

  it('property: any write at any in-bounds offset reads back identically in another process, both ways', async () => {
    const size = 8192;
    const shm = segment(size);
    // One long-lived child answers every case (spawning one per case would be slow).
    const server = spawn(process.execPath, [CHILD, 'serve', String(shm.id)], { stdio: ['pipe', 'pipe', 'inherit'] });
    trackChild(server);
    const waiting: Array<(l: string) => void> = [];
    let partial = '';
    server.stdout.setEncoding('utf8').on('data', (s: string) => {
      partial += s;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const l of parts) waiting.shift()?.(l);
    });
    const ask = (line: string) =>
      new Promise<string>((resolve) => {
        waiting.push(resolve);
        server.stdin.write(`${line}\n`);
      });
    const write = fc
      .integer({ min: 0, max: size })
      .chain((offset) => fc.tuple(fc.constant(offset), fc.uint8Array({ minLength: 1, maxLength: Math.min(300, size - offset) || 1 })))
      .filter(([o, d]) => o + d.length <= size);
    await fc.assert(
      fc.asyncProperty(write, fc.boolean(), async ([offset, data], childWrites) => {
        const hex = Buffer.from(data).toString('hex');
        if (childWrites) {
          expect(await ask(`w ${offset} ${hex}`)).toBe('ok');
          expect(shm.read(offset, data.length).toString('hex')).toBe(hex);
        } else {
          shm.write(offset, data);
          expect(await ask(`r ${offset} ${data.length}`)).toBe(hex);
        }
      }),
      { numRuns: 300 },
    );
    server.stdin.end();
    await new Promise((r) => server.once('close', r));
  });
});

describe('PosixSharedMemory', () => {
  it('open, size, zero fill, a child sees and answers, unlink; name rules before any syscall', async () => {
    const name = shmName();
    const shm = PosixSharedMemory.open(name, { size: 3333, create: true, exclusive: true });
    objects.push(shm);
    expect(shm.size).toBe(3333);
    expect(shm.read().equals(Buffer.alloc(3333))).toBe(true);
    expect(shm.stat()).toMatchObject({ size: 3333, mode: 0o100600 });
    expect(() => PosixSharedMemory.open(name, { size: 10, create: true, exclusive: true })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => PosixSharedMemory.open(name, { size: 4000 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    shm.write(0, 'hello');
    expect(await child('posix', name)).toEqual({ seen: 'hello', size: 3333 });
    expect(shm.read(16, 5).toString()).toBe('posix');
    const ro = PosixSharedMemory.open(name, { readOnly: true });
    objects.push(ro);
    expect(() => ro.buffer).toThrow(expect.objectContaining({ code: 'ERR_RXIPC_READ_ONLY' }));
    expect(ro.read(0, 5).toString()).toBe('hello');
    const events: string[] = [];
    shm.on('removed', () => events.push('removed'));
    shm.remove();
    expect(events).toEqual(['removed']);
    expect(shm.read(0, 5).toString()).toBe('hello'); // the mapping outlives the name
    expect(() => PosixSharedMemory.unlink(name)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'shm_unlink' }));
    expect(() => PosixSharedMemory.open(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    for (const bad of ['noslash', '/a/b', '/', `/${'x'.repeat(255)}`, '/a\0b']) {
      expect(() => PosixSharedMemory.open(bad, { size: 1, create: true })).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_/) }));
    }
    expect(() => PosixSharedMemory.open(shmName(), { create: true })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('PosixSharedMemory.fromFd', () => {
  it('maps the object behind a descriptor, owns it after success, leaves it to the caller after a throw', async () => {
    const name = shmName();
    const shm = PosixSharedMemory.open(name, { size: 5000, create: true, exclusive: true });
    objects.push(shm);
    shm.publish(0, 'through another fd');
    // Another descriptor of the same object, as SCM_RIGHTS would deliver it.
    const fd = openSync(`/dev/shm${name}`, 'r+');
    const other = PosixSharedMemory.fromFd(fd);
    expect(other.size).toBe(5000);
    expect(other.name).toBe(name);
    expect(other.fd).toBe(fd);
    expect(other.snapshot(0).data.toString()).toBe('through another fd');
    other.publish(256, 'and back');
    expect(shm.snapshot(256).data.toString()).toBe('and back');
    await other.close();
    expect(() => closeSync(fd)).toThrow(expect.objectContaining({ code: 'EBADF' })); // closed by close()
    expect(() => shm.fd && other.fd).toThrow();

    const [r, w] = native.pipe2(native.constants.O_CLOEXEC);
    try {
      expect(() => PosixSharedMemory.fromFd(r)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      expect(() => PosixSharedMemory.fromFd(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    } finally {
      closeSync(r); // still ours: fromFd threw
      closeSync(w);
    }
  });
});

describe('garbage collection', () => {
  it('an object dropped without close() gives back its read-only mapping and its fd (in a child)', async () => {
    const shm = segment();
    const name = shmName();
    objects.push(PosixSharedMemory.open(name, { size: 4096, create: true }));
    const g = spawn(process.execPath, ['--expose-gc', CHILD, 'gc', String(shm.id), name], { stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(g);
    let out = '';
    let err = '';
    g.stdout.on('data', (d: Buffer) => (out += d.toString()));
    g.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((r) => g.on('close', r));
    expect(code, err).toBe(0);
    expect(JSON.parse(out.trim())).toEqual({ before: { sysv: 1, posix: 1, fds: 1 }, after: { sysv: 0, posix: 0, fds: 0 } });
  });
});

describe('seqlock records', () => {
  it('publish / snapshot / waitForChange in one process; bounds and alignment', async () => {
    const shm = segment(64);
    expect(shm.snapshot(0)).toEqual({ seq: 0, data: Buffer.alloc(0) });
    const wait = shm.waitForChange(0, 0, { timeout: 5000 });
    expect(shm.publish(0, 'one')).toBe(2);
    expect(await wait).toBe(2);
    expect(shm.snapshot(0)).toEqual({ seq: 2, data: Buffer.from('one') });
    expect(shm.snapshot(0, 2).data.toString()).toBe('on');
    expect([...shm.read(0, 8)]).toEqual([2, 0, 0, 0, 3, 0, 0, 0]); // little-endian header
    expect(await shm.waitForChange(0, 0)).toBe(2); // already changed: at once
    expect(() => shm.publish(0, Buffer.alloc(57))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(shm.snapshot(0).data.toString()).toBe('one'); // nothing changed
    expect(() => shm.publish(2, 'x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => shm.snapshot(60)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    await expect(shm.waitForChange(3, 0)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(shm.waitForChange(0, 2, { timeout: 30 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(shm.waitForChange(0, 2, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    const ac = new AbortController();
    const aborted = shm.waitForChange(0, 2, { signal: ac.signal });
    await sleep(10);
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    const detached = shm.waitForChange(0, 2);
    await sleep(10);
    shm.detach();
    await expect(detached).rejects.toMatchObject({ code: 'ERR_RXIPC_DETACHED' });
    const other = attach(shm.id);
    const closed = other.waitForChange(0, 2);
    await sleep(10);
    await other.close();
    await expect(closed).rejects.toMatchObject({ code: 'ERR_RXIPC_CLOSED' });
    await waitUntil(() => tasks.pending === 0, 'no task left');
  });

  it('a writer that died mid-write: snapshot fails coded after its patience, the next publish recovers', () => {
    const shm = segment(64);
    shm.publish(0, 'before');
    new Int32Array(shm.buffer.buffer, 0, 1)[0] = 3; // odd: a write that never ended
    const t0 = performance.now();
    expect(() => shm.snapshot(0)).toThrow(expect.objectContaining({ code: 'ERR_RXIPC_RECORD_BUSY' }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
    expect(shm.publish(0, 'after')).toBe(4);
    expect(shm.snapshot(0)).toEqual({ seq: 4, data: Buffer.from('after') });
  });

  it('PosixSharedMemory records and a notify wait across two mappings', async () => {
    const name = shmName();
    const a = PosixSharedMemory.open(name, { size: 256, create: true });
    objects.push(a);
    const b = PosixSharedMemory.open(name, { readOnly: true });
    objects.push(b);
    const waited = b.waitForChange(64, 0, { timeout: 5000 });
    a.publish(64, 'posix record');
    expect(await waited).toBe(2);
    expect(b.snapshot(64).data.toString()).toBe('posix record');
  });

  it('a C writer -> an rxipc reader: the layout and protocol are the contract', async () => {
    const writer = compileC(join(fixtures, 'shm-writer.c'));
    const shm = segment(4096);
    const ro = attach(shm.id, true); // read-only readers work too
    let seq = 0;
    const seen: string[] = [];
    const done = (async () => {
      while (seen.at(-1) !== 'c-500') {
        seq = await ro.waitForChange(128, seq, { timeout: 5000 });
        const snap = ro.snapshot(128);
        seq = snap.seq;
        seen.push(snap.data.toString());
      }
    })();
    const r = await startChild(writer, [String(shm.id), '128', '500']).done;
    expect(r.code, r.stderr).toBe(0);
    await done;
    expect(seen.at(-1)).toBe('c-500');
    for (const s of seen) expect(s).toMatch(/^c-\d+$/);
    const nums = seen.map((s) => Number(s.slice(2)));
    expect(nums).toEqual([...nums].sort((a, b) => a - b)); // in order, possibly skipping
    expect(shm.snapshot(128)).toEqual({ seq: 1000, data: Buffer.from('c-500') });
  });

  it('a hammering writer in another process: never a torn snapshot, and the reader ends on the last value', async () => {
    const shm = segment(8192);
    const size = 4096;
    const count = 20_000;
    let torn = 0;
    let reads = 0;
    let last = 0;
    const c = startChild(process.execPath, [CHILD, 'hammer', String(shm.id), '0', String(count), String(size)], { timeoutMs: 30_000 });
    let exited = false;
    void c.done.then(() => (exited = true));
    // Busy snapshots while it writes (the likeliest moment for a torn read) ...
    while (!exited) {
      const { data } = shm.snapshot(0);
      reads++;
      if (data.length === 0) {
        await sleep(0);
        continue;
      }
      const first = data.readUInt32LE(0);
      if (data.readUInt32LE(size - 4) !== first || !data.subarray(0, size / 2).equals(data.subarray(size / 2))) torn++;
      last = first;
      if (reads % 64 === 0) await sleep(0);
    }
    const r = await c.done;
    expect(r.code, r.stderr).toBe(0);
    expect(torn).toBe(0);
    // ... and the record ends on the last value written.
    const end = shm.snapshot(0);
    expect(end.seq).toBe(2 * count);
    expect(end.data.readUInt32LE(0)).toBe(count);
    expect(last).toBeLessThanOrEqual(count);
  });
});
