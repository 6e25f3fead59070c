// MessageQueue against the real kernel: the msgrcv/msgsnd rules, validation, limits, keys.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ftok, IPC_PRIVATE, MessageQueue } from '@rxipc/core';
import { native } from '@rxipc/native';
import { describe, expect, it } from 'vitest';

import { drain, isPending, removeQueueId, msgPeer, procQueues, runChild, sleep, startNodeFixture, useQueues } from '../../../../test/support/ipc.js';

const queues = useQueues();
const msgmax = Number(readFileSync('/proc/sys/kernel/msgmax', 'utf8'));
const msgmnb = Number(readFileSync('/proc/sys/kernel/msgmnb', 'utf8'));
const text = (m: { data: Buffer } | undefined) => m?.data.toString();
const summary = (ms: Array<{ type: number; data: Buffer }>) => ms.map((m) => `${m.type}:${m.data.toString()}`);

describe('type selection (msgrcv msgtyp)', () => {
  it('type 0 takes messages in FIFO order whatever their type', async () => {
    const q = queues.create();
    const sent = [
      [5, 'a'],
      [1, 'b'],
      [9, 'c'],
      [1, 'd'],
    ] as const;
    for (const [t, d] of sent) await q.send(t, d);
    expect(summary(drain(q))).toEqual(['5:a', '1:b', '9:c', '1:d']);
  });

  it('a positive type takes only that type, leaving the others in their order', () => {
    const q = queues.create();
    for (const [t, d] of [[2, 'a'], [3, 'b'], [2, 'c'], [4, 'd'], [3, 'e']] as const) q.trySend(t, d);
    expect(summary([q.tryReceive({ type: 3 })!, q.tryReceive({ type: 3 })!])).toEqual(['3:b', '3:e']);
    expect(q.tryReceive({ type: 3 })).toBeUndefined();
    expect(summary(drain(q))).toEqual(['2:a', '2:c', '4:d']);
  });

  it('a negative type takes the lowest type <= |type| first, FIFO among equal types', () => {
    const q = queues.create();
    for (const [t, d] of [[5, 'a'], [3, 'b'], [7, 'c'], [2, 'd'], [3, 'e'], [2, 'f'], [1, 'g']] as const) q.trySend(t, d);
    const got = [];
    for (let m = q.tryReceive({ type: -3 }); m; m = q.tryReceive({ type: -3 })) got.push(m);
    expect(summary(got)).toEqual(['1:g', '2:d', '2:f', '3:b', '3:e']);
    expect(summary(drain(q))).toEqual(['5:a', '7:c']);
  });

  it('except takes the first message of any other type', () => {
    const q = queues.create();
    for (const [t, d] of [[4, 'a'], [4, 'b'], [6, 'c'], [4, 'd'], [1, 'e']] as const) q.trySend(t, d);
    expect(summary([q.tryReceive({ type: 4, except: true })!, q.tryReceive({ type: 4, except: true })!])).toEqual([
      '6:c',
      '1:e',
    ]);
    expect(q.tryReceive({ type: 4, except: true })).toBeUndefined();
    expect(summary(drain(q))).toEqual(['4:a', '4:b', '4:d']);
  });

  it('except needs a positive type', () => {
    const q = queues.create();
    expect(() => q.tryReceive({ type: 0, except: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => q.tryReceive({ type: -2, except: true })).toThrow(TypeError);
  });

  it('tryReceive on an empty queue (or with no match) gives undefined: the ENOMSG path', () => {
    const q = queues.create();
    expect(q.tryReceive()).toBeUndefined();
    expect(native.msgrcv(q.id, 64, 0, 0)).toBeUndefined();
    q.trySend(2, 'x');
    expect(q.tryReceive({ type: 3 })).toBeUndefined();
    expect(q.tryReceive({ type: -1 })).toBeUndefined();
    expect(q.tryReceive({ type: 2, except: true })).toBeUndefined();
    expect(q.stat().qnum).toBe(1);
  });
});

describe('send validation: nothing reaches the kernel', () => {
  const bad: Array<[unknown, string, new (...a: never[]) => Error]> = [
    [0, 'ERR_OUT_OF_RANGE', RangeError],
    [-1, 'ERR_OUT_OF_RANGE', RangeError],
    [1.5, 'ERR_OUT_OF_RANGE', RangeError],
    [Number.NaN, 'ERR_OUT_OF_RANGE', RangeError],
    [Infinity, 'ERR_OUT_OF_RANGE', RangeError],
    [2 ** 53, 'ERR_OUT_OF_RANGE', RangeError],
    ['3', 'ERR_INVALID_ARG_TYPE', TypeError],
    [3n, 'ERR_INVALID_ARG_TYPE', TypeError],
    [undefined, 'ERR_INVALID_ARG_TYPE', TypeError],
  ];
  it.each(bad)('type %s is rejected with %s', async (type, code, cls) => {
    const q = queues.create();
    expect(() => q.trySend(type as number, 'x')).toThrow(cls);
    expect(() => q.trySend(type as number, 'x')).toThrow(expect.objectContaining({ code }));
    // send() reports misuse through its promise, never by throwing.
    const p = q.send(type as number, 'x');
    await expect(p).rejects.toThrow(cls);
    await expect(p).rejects.toMatchObject({ code });
    expect(q.stat().qnum).toBe(0);
  });

  it.each([null, 42, {}, [1, 2], new ArrayBuffer(4)])('payload %s is a TypeError', async (data) => {
    const q = queues.create();
    expect(() => q.trySend(1, data as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }));
    await expect(q.send(1, data as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(q.stat().qnum).toBe(0);
  });

  it('the largest types JS names exactly round-trip: 2^40+3, 2^53-1', async () => {
    const q = queues.create();
    for (const t of [2 ** 40 + 3, 2 ** 53 - 1, 2 ** 31, 2 ** 32 + 1]) {
      await q.send(t, `t${t}`);
      const m = await q.receive({ type: t });
      expect(m.type).toBe(t);
      expect(text(m)).toBe(`t${t}`);
    }
    // Negative selectors reach them too.
    q.trySend(2 ** 53 - 1, 'max');
    q.trySend(2 ** 40 + 3, 'big');
    expect(q.tryReceive({ type: -(2 ** 53 - 1) })?.type).toBe(2 ** 40 + 3);
    expect(q.tryReceive({ type: -(2 ** 53 - 1) })?.type).toBe(2 ** 53 - 1);
  });

  it('a payload above msgmax is a RangeError and nothing is enqueued; msgmax itself fits', async () => {
    const q = queues.create();
    expect(q.maxMessageSize).toBe(msgmax);
    q.trySend(1, 'before');
    const before = q.stat();
    expect(() => q.trySend(1, Buffer.alloc(msgmax + 1))).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    await expect(q.send(1, new Uint8Array(msgmax + 1))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(q.send(1, 'é'.repeat(msgmax / 2 + 1))).rejects.toBeInstanceOf(RangeError);
    const after = q.stat();
    expect([after.qnum, after.cbytes]).toEqual([before.qnum, before.cbytes]);
    const full = Buffer.alloc(msgmax, 7);
    expect(q.trySend(2, full)).toBe(true);
    expect(q.tryReceive({ type: 2 })!.data.equals(full)).toBe(true);
  });

  it('send copies the payload: reusing the buffer right after send() cannot change what is sent', async () => {
    const q = queues.create();
    q.set({ maxBytes: 64 });
    q.trySend(1, Buffer.alloc(64)); // full: the sends below wait off-thread
    const buf = Buffer.alloc(16);
    const sends = [];
    for (let i = 0; i < 4; i++) {
      buf.fill(i + 1);
      sends.push(q.send(2, buf));
    }
    buf.fill(0xee);
    const got: Buffer[] = [];
    while (got.length < 4) {
      q.tryReceive({ type: 1 });
      const m = await q.receive({ type: 2, timeout: 2000 });
      got.push(Buffer.from(m.data));
    }
    await Promise.all(sends);
    expect(got.map((b) => b[0])).toEqual([1, 2, 3, 4]);
    expect(got.every((b) => b.every((x) => x === b[0]))).toBe(true);
  });
});

describe('a full queue', () => {
  it('trySend gives false; send waits, the event loop keeps ticking, and a receive lets it in', async () => {
    const q = queues.create();
    q.set({ maxBytes: 64 });
    expect(q.stat().qbytes).toBe(64);
    expect(q.trySend(1, Buffer.alloc(40, 1))).toBe(true);
    expect(q.trySend(1, Buffer.alloc(40, 2))).toBe(false);
    expect(q.stat().qnum).toBe(1);

    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    try {
      let sent = false;
      const p = q.send(2, Buffer.alloc(40, 3)).then(() => (sent = true));
      await sleep(60);
      expect(sent).toBe(false);
      expect(ticks).toBeGreaterThanOrEqual(3);
      expect(q.stat().qnum).toBe(1);
      // trySend keeps order behind a waiting send.
      expect(q.trySend(3, 'x')).toBe(false);

      expect(q.tryReceive()?.data[0]).toBe(1); // frees the room
      await p;
      expect(q.stat().qnum).toBe(1);
      expect(q.tryReceive()).toMatchObject({ type: 2 });
    } finally {
      clearInterval(interval);
    }
  });

  it('sends from one object keep their call order across a full queue', async () => {
    const q = queues.create();
    q.set({ maxBytes: 20 });
    const sends = Array.from({ length: 30 }, (_, i) => q.send(1 + (i % 3), String(i).padStart(10, '0')));
    const got: string[] = [];
    while (got.length < 30) got.push(text(await q.receive({ timeout: 2000 }))!);
    await Promise.all(sends);
    expect(got).toEqual(Array.from({ length: 30 }, (_, i) => String(i).padStart(10, '0')));
  });
});

describe('waiting receives', () => {
  it('a blocked typed receive ignores other types while the event loop keeps ticking', async () => {
    const q = queues.create();
    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    try {
      const p = q.receive({ type: 7 });
      await sleep(10);
      for (let i = 0; i < 5; i++) q.trySend(5, `other${i}`);
      await sleep(50);
      expect(await isPending(p)).toBe(true);
      expect(ticks).toBeGreaterThanOrEqual(3);
      expect(q.stat().qnum).toBe(5);
      q.trySend(7, 'mine');
      const m = await p;
      expect([m.type, text(m)]).toEqual([7, 'mine']);
      expect(summary(drain(q))).toEqual([0, 1, 2, 3, 4].map((i) => `5:other${i}`));
    } finally {
      clearInterval(interval);
    }
  });

  it('receives messages sent later by another process', async () => {
    const q = queues.create();
    const p = q.receive({ type: 4 });
    await runChild(msgPeer(), ['send', String(q.id)], { input: '3 6161\n4 6262\n' });
    expect(text(await p)).toBe('bb');
    expect(text(q.tryReceive())).toBe('aa');
  });
});

describe('maxSize: E2BIG or truncate', () => {
  it('a message longer than maxSize fails with E2BIG and stays in the queue', async () => {
    const q = queues.create();
    q.trySend(1, 'abcdefgh');
    expect(() => q.tryReceive({ maxSize: 4 })).toThrow(expect.objectContaining({ code: 'E2BIG', syscall: 'msgrcv' }));
    await expect(q.receive({ maxSize: 7 })).rejects.toMatchObject({ code: 'E2BIG', errno: 7 });
    expect(q.stat().qnum).toBe(1);
    expect(text(q.tryReceive({ maxSize: 8 }))).toBe('abcdefgh');
  });

  it('a waiting receive gets E2BIG when a too-large message arrives, and the message stays', async () => {
    const q = queues.create();
    const p = q.receive({ maxSize: 2 });
    await sleep(10);
    q.trySend(1, 'toolong');
    await expect(p).rejects.toMatchObject({ code: 'E2BIG' });
    expect(q.stat().qnum).toBe(1);
    expect(text(q.tryReceive())).toBe('toolong');
  });

  it('truncate (MSG_NOERROR) delivers the first maxSize bytes and consumes the message', async () => {
    const q = queues.create();
    q.trySend(1, 'abcdefgh');
    q.trySend(1, 'ijklmnop');
    expect(text(q.tryReceive({ maxSize: 3, truncate: true }))).toBe('abc');
    expect(text(await q.receive({ maxSize: 0, truncate: true }))).toBe('');
    expect(q.stat().qnum).toBe(0);
  });
});

describe('stat, set, keys, permissions', () => {
  it('reports the sends and receives of another process (qnum, cbytes, lspid, lrpid, stime, rtime)', async () => {
    const q = queues.create();
    const t0 = Math.floor(Date.now() / 1000);
    const fresh = q.stat();
    expect(fresh).toMatchObject({ qnum: 0, cbytes: 0, lspid: 0, lrpid: 0, stime: 0, rtime: 0, qbytes: msgmnb });
    expect(fresh.ctime).toBeGreaterThanOrEqual(t0 - 1);

    const sender = startNodeFixture('msg-child.mjs', ['send', q.id, 6, 3]);
    const sent = await sender.done;
    expect(sent.code, sent.stderr).toBe(0);
    const s1 = q.stat();
    expect(s1).toMatchObject({ qnum: 3, cbytes: 3, lspid: sender.child.pid, lrpid: 0, rtime: 0 });
    expect(s1.stime).toBeGreaterThanOrEqual(t0);
    expect(s1.stime).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));

    const receiver = startNodeFixture('msg-child.mjs', ['receive', q.id, 2, 6]);
    const got = await receiver.done;
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { type: 6, hex: Buffer.from('0').toString('hex') },
      { type: 6, hex: Buffer.from('1').toString('hex') },
    ]);
    const s2 = q.stat();
    expect(s2).toMatchObject({ qnum: 1, cbytes: 1, lspid: sender.child.pid, lrpid: receiver.child.pid });
    expect(s2.rtime).toBeGreaterThanOrEqual(t0);

    // The same numbers as the kernel's own table.
    const row = procQueues().find((r) => r.msqid === q.id)!;
    expect(row).toMatchObject({ qnum: 1, cbytes: 1, lspid: sender.child.pid, lrpid: receiver.child.pid, perms: 0o600 });
  });

  it('the default mode is 0o600; an explicit mode is used as given', () => {
    expect(queues.create().stat().perm.mode & 0o777).toBe(0o600);
    expect(queues.create({ mode: 0o640 }).stat().perm.mode & 0o777).toBe(0o640);
    const q = queues.create();
    q.set({ mode: 0o604 });
    expect(q.stat().perm.mode & 0o777).toBe(0o604);
    expect(() => q.set({ mode: 0o1777 })).toThrow(RangeError);
  });

  it('perm carries the creator and the key', () => {
    const q = queues.create();
    const { perm } = q.stat();
    expect(perm).toMatchObject({ key: 0, uid: process.getuid!(), gid: process.getgid!(), cuid: process.getuid!(), cgid: process.getgid!() });
    expect(q.key).toBe(IPC_PRIVATE);
  });

  it('set({ maxBytes }) changes qbytes', () => {
    const q = queues.create();
    q.set({ maxBytes: 100 });
    expect(q.stat().qbytes).toBe(100);
    expect(() => q.set({ maxBytes: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('ftok: the same path and project give the same key; another project another key; a missing path ENOENT', () => {
    const path = queues.keyFile();
    const k1 = ftok(path, 1);
    expect(ftok(path, 1)).toBe(k1);
    expect(ftok(path, 2)).not.toBe(k1);
    expect(k1).toBeGreaterThan(0);
    expect(k1 >>> 24).toBe(1); // the project id is the top byte
    const missing = join(path, '..', 'nope');
    expect(() => ftok(missing, 1)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'ftok', path: missing }));
    expect(() => ftok(path, 0)).toThrow(RangeError);
    expect(() => ftok(path, 256)).toThrow(RangeError);
  });

  it('a keyed queue opens again by its key; exclusive open of an existing key is EEXIST', async () => {
    const key = ftok(queues.keyFile(), 7);
    expect(() => MessageQueue.open(key)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'msgget' }));
    const a = queues.open(key, { create: true, exclusive: true });
    expect(a.key).toBe(key);
    expect(a.stat().perm.key >>> 0).toBe(key);
    const b = queues.open(key);
    expect(b.id).toBe(a.id);
    const c = queues.open(key, { create: true });
    expect(c.id).toBe(a.id);
    expect(() => MessageQueue.open(key, { create: true, exclusive: true })).toThrow(
      expect.objectContaining({ code: 'EEXIST', errno: 17, syscall: 'msgget' }),
    );
    await a.send(1, 'via a');
    expect(text(b.tryReceive())).toBe('via a');
  });

  it('fromId attaches to an existing queue and refuses a missing one', () => {
    const q = queues.create();
    q.trySend(1, 'x');
    const other = MessageQueue.fromId(q.id);
    try {
      expect(text(other.tryReceive())).toBe('x');
    } finally {
      other.close();
    }
    q.remove();
    expect(() => MessageQueue.fromId(q.id)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(EINVAL|EIDRM)$/) }));
  });
});

describe('msgctl through the native binding', () => {
  it('IPC_INFO reports the kernel limits, matching /proc/sys/kernel', () => {
    const info = native.msgctlInfo(native.constants.IPC_INFO);
    for (const f of ['index', 'msgpool', 'msgmap', 'msgmax', 'msgmnb', 'msgmni', 'msgssz', 'msgtql', 'msgseg'] as const) {
      expect(typeof info[f], f).toBe('number');
    }
    expect(info.msgmax).toBe(msgmax);
    expect(info.msgmnb).toBe(msgmnb);
    expect(info.msgmni).toBe(Number(readFileSync('/proc/sys/kernel/msgmni', 'utf8')));
    expect(MessageQueue.limits()).toEqual(info);
  });

  it('MSG_INFO counts our queue and its messages', () => {
    const q = queues.create();
    q.trySend(1, 'abc');
    q.trySend(2, 'de');
    const usage = native.msgctlInfo(native.constants.MSG_INFO);
    expect(usage.msgpool).toBeGreaterThanOrEqual(1); // queues in use
    expect(usage.msgmap).toBeGreaterThanOrEqual(2); // messages
    expect(usage.msgtql).toBeGreaterThanOrEqual(5); // bytes
    expect(MessageQueue.usage().index).toBeGreaterThanOrEqual(0);
    expect(() => native.msgctlInfo(native.constants.IPC_STAT)).toThrow(RangeError);
  });

  it.each([false, true])('MSG_STAT (any = %s) over indexes 0..index finds our queue', (any) => {
    const q = queues.create();
    q.trySend(3, 'hello');
    const { index } = native.msgctlInfo(native.constants.MSG_INFO);
    const found = [];
    for (let i = 0; i <= index; i++) {
      try {
        found.push(native.msgctlStatIndex(i, any));
      } catch (err) {
        expect((err as { code: string }).code).toBe('EINVAL'); // an unused index
      }
    }
    const ours = found.find((s) => s.id === q.id);
    expect(ours).toBeDefined();
    expect(ours).toMatchObject({ qnum: 1, cbytes: 5, lspid: process.pid });
    expect(ours!.perm.mode & 0o777).toBe(0o600);
    expect({ ...ours, id: undefined }).toEqual({ ...q.stat(), id: undefined });
  });

  it('native calls check their arguments before any syscall', () => {
    const q = queues.create();
    expect(() => native.msgsnd(q.id, 0, Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => native.msgsnd(q.id, 2 ** 53, Buffer.from('x'))).toThrow(RangeError);
    expect(() => native.msgsnd(q.id, 1, 'x' as unknown as Buffer)).toThrow(TypeError);
    expect(() => native.msgrcv(q.id, -1, 0, 0)).toThrow(RangeError);
    expect(() => native.msgrcv(q.id, 8, 0, 0x7fff0000)).toThrow(RangeError);
    // IPC_NOWAIT is not a msgget flag. (IPC_PRIVATE would make a queue: remove it if so.)
    expect(() => removeQueueId(native.msgget(IPC_PRIVATE, native.constants.IPC_NOWAIT))).toThrow(RangeError);
    expect(() => native.msgctlStatIndex(-1, false)).toThrow(RangeError);
    expect(q.stat().qnum).toBe(0);
  });
});
