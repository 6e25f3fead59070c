// The rxipc command, driven as a user drives it: spawn the built CLI, read its output and exit
// code. Every object a test makes (itself, through the CLI, or through a C child) is removed
// after it.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Fifo, ftok, IPC_PRIVATE, MessageQueue, PosixSemaphore, PosixSharedMemory, SemaphoreSet, SharedMemory } from '@rxipc/core';
import { afterEach, describe, expect, it } from 'vitest';

import { compileC } from '../../../test/support/cc.js';
import { makeTempDir } from '../../../test/support/fs.js';
import { drain, removeQueueId, useQueues, waitUntil } from '../../../test/support/ipc.js';
import { removeSemId, useSemaphores } from '../../../test/support/sem.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const queues = useQueues();
const sems = useSemaphores();
const made: Array<{ kind: 'queue' | 'shm' | 'sem'; id: number }> = [];

afterEach(() => {
  for (const { kind, id } of made.splice(0)) {
    try {
      if (kind === 'queue') removeQueueId(id);
      else if (kind === 'sem') removeSemId(id);
      else {
        const s = SharedMemory.fromId(id);
        s.remove();
        s.detach();
      }
    } catch {
      /* removed by the test */
    }
  }
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function rxipc(args: string[], input?: string): Run {
  const r = spawnSync(process.execPath, [main, ...args], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '' }, timeout: 15_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An operational failure: exit 1, one line on stderr naming the code, no stack trace. */
function expectFailure(r: Run, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('help and usage', () => {
  it('every command has --help with an example; no command is a usage error (exit 2)', () => {
    for (const cmd of ['ls', 'limits', 'peek', 'send', 'rm', 'mk', 'tail', 'watch', 'top']) {
      const r = rxipc([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(new RegExp(`^usage: rxipc ${cmd}`));
      expect(r.stdout, cmd).toMatch(/\nexample: .*rxipc /);
    }
    expect(rxipc(['--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: rxipc <command>/) });
    expect(rxipc([]).code).toBe(2);
    expect(rxipc(['frobnicate']).code).toBe(2);
  });

  it('bad options, keys and values are usage errors (exit 2), one line and a pointer to --help', () => {
    for (const args of [
      ['ls', '--bogus'],
      ['ls', 'pipes'],
      ['peek', 'zzz'],
      ['peek', '0'],
      ['peek', '0x1ffffffff'],
      ['peek', 'ftok:/tmp:999'],
      ['send', '1234', 'x'],
      ['send', '1234', '--type', '0', 'x'],
      ['mk', 'shm'],
      ['mk', 'queue', '--mode', '999'],
      ['rm', 'pipe', '1'],
      ['tail', '1', '--except'],
      ['peek', '1', '--format', 'yaml'],
    ]) {
      const r = rxipc(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^rxipc: .+\nsee: rxipc \w+ --help\n$/);
    }
  });
});

describe('mk and rm', () => {
  it('mk prints the id of a new object of each kind with the mode asked; rm removes it', () => {
    const q = Number(rxipc(['mk', 'queue', '--mode', '640']).stdout);
    made.push({ kind: 'queue', id: q });
    expect(MessageQueue.list().find((r) => r.id === q)?.perm.mode).toBe(0o640);
    const s = Number(rxipc(['mk', 'shm', '--size', '5000']).stdout);
    made.push({ kind: 'shm', id: s });
    expect(SharedMemory.list().find((r) => r.id === s)).toMatchObject({ size: 5000, nattch: 0 });
    const e = Number(rxipc(['mk', 'sem', '--count', '4']).stdout);
    made.push({ kind: 'sem', id: e });
    expect(SemaphoreSet.list().find((r) => r.id === e)?.nsems).toBe(4);

    expect(rxipc(['rm', 'queue', '--id', String(q)]).code).toBe(0);
    expect(rxipc(['rm', 'shm', '--id', String(s)]).code).toBe(0);
    expect(rxipc(['rm', 'sem', '--id', String(e)]).code).toBe(0);
    expect(MessageQueue.list().some((r) => r.id === q)).toBe(false);
    expect(SharedMemory.list().some((r) => r.id === s)).toBe(false);
    expect(SemaphoreSet.list().some((r) => r.id === e)).toBe(false);
  });

  it('mk with a key is exclusive; rm by key in hex, decimal and ftok:PATH:ID; rm refuses a missing object', () => {
    const path = queues.keyFile();
    const key = ftok(path, 7) >>> 0;
    const hex = `0x${key.toString(16).padStart(8, '0')}`;
    const id = Number(rxipc(['mk', 'queue', '--key', `ftok:${path}:7`]).stdout);
    made.push({ kind: 'queue', id });
    expect(MessageQueue.list().find((r) => r.id === id)?.perm.key! >>> 0).toBe(key);
    expectFailure(rxipc(['mk', 'queue', '--key', hex]), /^rxipc: EEXIST: .*msgget \(key 0x[0-9a-f]{8}\)$/m);
    expect(rxipc(['rm', 'queue', String(key)]).code).toBe(0);
    expectFailure(rxipc(['rm', 'queue', hex]), new RegExp(`^rxipc: ENOENT: no message queue with key ${hex}\\n$`));
    expectFailure(rxipc(['rm', 'queue', '--id', String(id)]), new RegExp(`^rxipc: EINVAL: no message queue with id ${id}\\n$`));
    expectFailure(rxipc(['rm', 'shm', '--id', '2147483000']), /no shared memory segment with id 2147483000/);
    expectFailure(rxipc(['rm', 'sem', `ftok:${path}:9`]), /ENOENT: no semaphore set with key 0x/);
  });
});

describe('ls', () => {
  it('--json gives every field of a queue, a segment and a set the test made, numbers as numbers', async () => {
    const q = queues.create({ mode: 0o640 });
    await q.send(4, 'abc');
    await q.send(4, 'de');
    const shm = SharedMemory.open(IPC_PRIVATE, { size: 1234, create: true });
    made.push({ kind: 'shm', id: shm.id });
    const sem = sems.create({ count: 2, initial: [2, 5] });
    const r = rxipc(['ls', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout) as Record<string, Array<Record<string, unknown>>>;
    expect(Object.keys(data)).toEqual(['queues', 'shm', 'sems', 'posix', 'fifos']);
    const qr = data.queues!.find((x) => x.id === q.id)!;
    const st = q.stat();
    expect(qr).toEqual({
      key: 0,
      keyHex: '0x00000000',
      uid: process.getuid!(),
      gid: process.getgid!(),
      cuid: process.getuid!(),
      cgid: process.getgid!(),
      mode: 0o640,
      perms: '0640',
      id: q.id,
      qnum: 2,
      cbytes: 5,
      qbytes: st.qbytes,
      lspid: process.pid,
      lrpid: 0,
      stime: st.stime,
      rtime: 0,
      ctime: st.ctime,
    });
    const sr = data.shm!.find((x) => x.id === shm.id)!;
    expect(sr).toMatchObject({ key: 0, id: shm.id, perms: '0600', size: 1234, nattch: 1, cpid: process.pid, removed: false, locked: false });
    expect(typeof sr.atime).toBe('number');
    const er = data.sems!.find((x) => x.id === sem.id)!;
    expect(er).toMatchObject({ key: 0, id: sem.id, nsems: 2, perms: '0600' });
    expect((er.semaphores as Array<Record<string, number>>).map((s) => [s.value, s.ncnt, s.zcnt])).toEqual([
      [2, 0, 0],
      [5, 0, 0],
    ]);
    shm.detach();
  });

  it('one kind only; human output in aligned columns, no colour when not a TTY', async () => {
    const q = queues.create();
    await q.send(1, 'x');
    const r = rxipc(['ls', 'queues']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b/);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Message queues');
    expect(lines[1]).toMatch(/^KEY\s+ID\s+OWNER\s+PERMS\s+MESSAGES\s+BYTES/);
    const row = lines.find((l) => l.split(/\s+/)[1] === String(q.id))!;
    expect(row.split(/\s+/).slice(0, 6)).toEqual(['0x00000000', String(q.id), expect.any(String), '0600', '1', '1']);
    // Columns line up: the ID column ends at the same place in the header and the row.
    expect(row.indexOf(String(q.id)) + String(q.id).length).toBe(lines[1]!.indexOf('ID') + 2);
    expect(JSON.parse(rxipc(['ls', 'sems', '--json']).stdout)).toEqual({ sems: expect.any(Array) });
  });

  it('fifos: the FIFOs in --dir with their readers and writers', async () => {
    const dir = makeTempDir('cli-fifos');
    try {
      const fifo = Fifo.create(join(dir.path, 'f1'), { mode: 0o600 });
      const [r, w] = await Promise.all([Fifo.openReadable(fifo.path), Fifo.openWritable(fifo.path)]);
      const data = JSON.parse(rxipc(['ls', 'fifos', '--dir', dir.path, '--json']).stdout) as { fifos: Array<Record<string, unknown>> };
      expect(data.fifos).toEqual([
        { path: join(dir.path, 'f1'), uid: process.getuid!(), gid: process.getgid!(), mode: 0o600, perms: '0600', mtime: expect.any(Number), readers: 1, writers: 1 },
      ]);
      r.destroy();
      w.destroy();
      fifo.close();
      await waitUntil(() => (JSON.parse(rxipc(['ls', 'fifos', '--dir', dir.path, '--json']).stdout) as { fifos: Array<{ readers: number }> }).fifos[0]!.readers === 0, 'closed');
      expect(rxipc(['ls', 'fifos', '--dir', dir.path]).stdout).toMatch(/^FIFOs\nPATH\s+OWNER\s+PERMS\s+READERS\s+WRITERS\s+CHANGED\n.*f1\s+\S+\s+0600\s+0\s+0\s/);
    } finally {
      dir.remove();
    }
  });

  it('posix: shared memory objects and named semaphores in /dev/shm, with a semaphore value', async () => {
    const semName = `/rxipc-clitest-${process.pid}-sem`;
    const shmName = `/rxipc-clitest-${process.pid}-shm`;
    const sem = PosixSemaphore.open(semName, { create: true, initial: 4 });
    const shm = PosixSharedMemory.open(shmName, { create: true, size: 300 });
    try {
      const data = JSON.parse(rxipc(['ls', 'posix', '--json']).stdout) as { posix: Array<Record<string, unknown>> };
      expect(data.posix.find((x) => x.name === semName)).toMatchObject({ kind: 'sem', value: 4, perms: '0600', uid: process.getuid!() });
      expect(data.posix.find((x) => x.name === shmName)).toMatchObject({ kind: 'shm', size: 300, value: null, perms: '0600' });
    } finally {
      await sem.close();
      PosixSemaphore.unlink(semName);
      await shm.close();
      PosixSharedMemory.unlink(shmName);
    }
  });

  it('shows the objects a C program made, with its figures', async () => {
    const bin = compileC(fileURLToPath(new URL('./fixtures/ipcmake.c', import.meta.url)));
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString()));
    try {
      await waitUntil(() => text.includes('\n'), 'ipcmake ready', 10_000);
      const [qid, shmid, semid] = text.trim().split(' ').map(Number) as [number, number, number];
      made.push({ kind: 'queue', id: qid }, { kind: 'shm', id: shmid }, { kind: 'sem', id: semid });
      const data = JSON.parse(rxipc(['ls', '--json']).stdout) as Record<string, Array<Record<string, unknown>>>;
      expect(data.queues!.find((x) => x.id === qid)).toMatchObject({ perms: '0640', qnum: 2, cbytes: 12, lspid: child.pid });
      expect(data.shm!.find((x) => x.id === shmid)).toMatchObject({ size: 4096, nattch: 1, cpid: child.pid });
      const set = data.sems!.find((x) => x.id === semid)!;
      expect((set.semaphores as Array<{ value: number }>).map((s) => s.value)).toEqual([3, 0]);
      const peek = rxipc(['peek', '--id', String(qid)]);
      expect(peek.stdout).toBe('#0 type 7: from-c\n#1 type 9: second\n');
    } finally {
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
    }
  });
});

describe('limits', () => {
  it('--json: every limit with its usage and percentage', () => {
    const q = queues.create();
    const r = rxipc(['limits', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ resource: string; description: string; used: number | null; limit: number; percent: number | null }>;
    expect(rows.map((x) => x.resource)).toEqual(['MSGMNI', 'MSGMAX', 'MSGMNB', 'SHMMNI', 'SHMALL', 'SHMMAX', 'SHMMIN', 'SEMMNI', 'SEMMNS', 'SEMMSL', 'SEMOPM', 'SEMVMX']);
    const mni = rows[0]!;
    expect(mni.limit).toBe(MessageQueue.limits().msgmni);
    expect(mni.used).toBeGreaterThanOrEqual(1);
    expect(mni.percent).toBeCloseTo((mni.used! / mni.limit) * 100, 1);
    expect(rows[1]).toMatchObject({ resource: 'MSGMAX', used: null, percent: null, limit: q.maxMessageSize });
    expect(rxipc(['limits']).stdout).toMatch(/^RESOURCE\s+DESCRIPTION\s+LIMIT\s+USED\s+USE%\nMSGMNI /);
  });
});

describe('peek', () => {
  it('prints messages in queue order without taking them (qnum unchanged), in each format and filtered by type', async () => {
    const q = queues.create();
    await q.send(1, 'one');
    await q.send(2, Buffer.from([0, 1, 2, 255]));
    await q.send(1, 'tab\there');
    const id = String(q.id);
    expect(rxipc(['peek', '--id', id]).stdout).toBe('#0 type 1: one\n#1 type 2: \\x00\\x01\\x02\u00ff\n#2 type 1: tab\\x09here\n');
    expect(rxipc(['peek', '--id', id, '--type', '1', '--count', '1']).stdout).toBe('#0 type 1: one\n');
    expect(rxipc(['peek', '--id', id, '--type', '1', '--except']).stdout).toBe('#1 type 2: \\x00\\x01\\x02\u00ff\n');
    expect(rxipc(['peek', '--id', id, '--type', '2', '--format', 'hex']).stdout).toBe(
      `#1 type 2, 4 bytes\n  00000000  00 01 02 ff${' '.repeat(38)}|....|\n`,
    );
    const json = rxipc(['peek', '--id', id, '--format', 'json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(json).toEqual([
      { index: 0, type: 1, size: 3, text: 'one', data: Buffer.from('one').toString('base64') },
      { index: 1, type: 2, size: 4, text: null, data: 'AAEC/w==' },
      { index: 2, type: 1, size: 8, text: 'tab\there', data: Buffer.from('tab\there').toString('base64') },
    ]);
    expect(q.stat().qnum).toBe(3);
    expect(drain(q).map((m) => m.data.toString('hex'))).toEqual([Buffer.from('one').toString('hex'), '000102ff', Buffer.from('tab\there').toString('hex')]);
    expect(rxipc(['peek', '--id', id])).toMatchObject({ code: 0, stdout: '' });
  });

  it('fails with one line for a missing queue', () => {
    expectFailure(rxipc(['peek', '--id', '2147483000']), /^rxipc: EINVAL: no message queue with id 2147483000$/m);
  });
});

describe('send', () => {
  it('sends DATA, a file, and each line of stdin, to a queue by key or id', async () => {
    const path = queues.keyFile();
    const q = queues.open(ftok(path, 3), { create: true });
    expect(rxipc(['send', `ftok:${path}:3`, '--type', '5', 'hello there']).code).toBe(0);
    const file = join(path + '.bin');
    writeFileSync(file, Buffer.from([9, 8, 7]));
    expect(rxipc(['send', '--id', String(q.id), '--type', '6', '--file', file]).code).toBe(0);
    expect(rxipc(['send', '--id', String(q.id), '--type', '7', '-'], 'a\nbb\n\nccc').code).toBe(0);
    expect(drain(q).map((m) => `${m.type}:${m.data.toString('hex')}`)).toEqual([
      `5:${Buffer.from('hello there').toString('hex')}`,
      '6:090807',
      `7:${Buffer.from('a').toString('hex')}`,
      `7:${Buffer.from('bb').toString('hex')}`,
      '7:',
      `7:${Buffer.from('ccc').toString('hex')}`,
    ]);
    expectFailure(rxipc(['send', '--id', String(q.id), '--type', '1', '--file', `${file}.missing`]), /^rxipc: ENOENT: /);
  });
});

describe('tail', () => {
  it('takes and prints messages of the type asked, --count of them, leaving the rest', async () => {
    const q = queues.create();
    for (const [t, d] of [[1, 'a'], [2, 'b'], [1, 'c'], [3, 'd']] as const) await q.send(t, d);
    const r = rxipc(['tail', '--id', String(q.id), '--type', '1', '--count', '2']);
    expect(r).toMatchObject({ code: 0, stdout: 'type 1: a\ntype 1: c\n' });
    const j = rxipc(['tail', '--id', String(q.id), '--type', '2', '--except', '--count', '1', '--format', 'json']);
    expect(JSON.parse(j.stdout)).toEqual({ type: 3, size: 1, text: 'd', data: 'ZA==' });
    expect(drain(q).map((m) => m.data.toString())).toEqual(['b']);
  });

  it('SIGINT mid-stream: every message is either printed or still in the queue', async () => {
    const q = queues.create();
    const total = 300;
    const sent = Array.from({ length: total }, (_, i) => `m${i}`);
    let next = 0;
    // A steady stream: some messages before the tail starts, the rest while it runs.
    for (; next < 50; next++) await q.send(1, sent[next]!);
    const child = spawn(process.execPath, [main, 'tail', '--id', String(q.id)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    await waitUntil(() => out.includes('m10\n'), 'tail printing', 10_000);
    for (; next < total; next++) {
      await q.send(1, sent[next]!);
      if (next === 150) child.kill('SIGINT');
    }
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(err).toBe('');
    expect(code).toBe(0);
    const printed = out.trimEnd().split('\n').map((l) => l.replace(/^type 1: /, ''));
    const left = drain(q).map((m) => m.data.toString());
    expect(printed.length).toBeGreaterThan(10);
    expect([...printed, ...left].sort()).toEqual([...sent].sort());
    // Order: what was printed came first, in order.
    expect(printed).toEqual(sent.slice(0, printed.length));
  });
});

describe("the seed's C msg_daemon", () => {
  it('its queue shows in ls, its message in peek, and a message sent with the CLI reaches it', () => {
    const daemon = compileC(fileURLToPath(new URL('../../../examples/msg-daemon/msg_daemon.c', import.meta.url)));
    const inUse = new Set(MessageQueue.list().map((r) => r.perm.key >>> 0));
    let key = 0x7e570000 + (process.pid % 0xffff);
    while (inUse.has(key)) key++;
    const sent = spawnSync(daemon, ['-s', '-t', '2', '-k', String(key)], { encoding: 'utf8' });
    expect(sent.status, sent.stderr).toBe(0);
    const row = MessageQueue.list().find((r) => r.perm.key >>> 0 === key)!;
    made.push({ kind: 'queue', id: row.id });
    const hex = `0x${key.toString(16).padStart(8, '0')}`;
    const ls = JSON.parse(rxipc(['ls', 'queues', '--json']).stdout) as { queues: Array<Record<string, unknown>> };
    expect(ls.queues.find((r) => r.keyHex === hex)).toMatchObject({ key, id: row.id, perms: '0666', qnum: 1, cbytes: 80, lspid: sent.pid });
    expect(rxipc(['peek', hex]).stdout).toMatch(/^#0 type 2: a message at .*\\x0a(\\x00)+\n$/);
    expect(rxipc(['send', String(key), '--type', '1', 'from rxipc']).code).toBe(0);
    const got = spawnSync(daemon, ['-r', '-t', '1', '-k', String(key)], { encoding: 'utf8' });
    // The C side prints mtext with %s: what follows the 10 bytes (no NUL sent) is its own stack.
    expect(got.stdout).toMatch(/^recv : from rxipc/);
    expect(rxipc(['rm', 'queue', hex]).code).toBe(0);
  });
});

describe('watch shm', () => {
  function startWatch(args: string[], opts: { pty: boolean; noColor?: boolean }) {
    const env = { ...process.env };
    delete env.NO_COLOR;
    if (opts.noColor) env.NO_COLOR = '1';
    const cmd = [process.execPath, main, 'watch', 'shm', ...args];
    // A pseudo-terminal through util-linux script(1): the CLI sees a TTY on stdout.
    const child = opts.pty
      ? spawn('script', ['-qfec', cmd.join(' '), '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(cmd[0]!, cmd.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString('latin1')));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString('latin1')));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    return { output: () => out, exited };
  }

  it('piped: the first view, then each change with how many bytes changed', async () => {
    const shm = SharedMemory.open(IPC_PRIVATE, { size: 64, create: true });
    made.push({ kind: 'shm', id: shm.id });
    const w = startWatch(['--id', String(shm.id), '--offset', '16', '--length', '16', '--interval', '10', '--count', '2'], { pty: false });
    await waitUntil(() => w.output().includes('initial'), 'first view', 10_000);
    shm.write(20, Buffer.from('hi'));
    shm.write(0, Buffer.from('outside the region'.slice(0, 16)));
    expect(await w.exited).toBe(0);
    const out = w.output();
    expect(out).not.toMatch(/\x1b/);
    expect(out).toContain(`shm id ${shm.id}, 64 bytes; bytes 16..31, every 10 ms`);
    expect(out).toMatch(/initial\n00000010  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  \|\.{16}\|\n/);
    expect(out).toMatch(/2 bytes changed\n00000010  00 00 00 00 68 69 00 00 00 00 00 00 00 00 00 00  \|\.\.\.\.hi\.{10}\|\n/);
    shm.detach();
  });

  it('in a terminal: redrawn in place, the changed bytes in inverse video; no colour with NO_COLOR', async () => {
    const shm = SharedMemory.open(IPC_PRIVATE, { size: 32, create: true });
    made.push({ kind: 'shm', id: shm.id });
    const w = startWatch(['--id', String(shm.id), '--interval', '10', '--count', '2'], { pty: true });
    await waitUntil(() => w.output().includes('initial'), 'first view', 10_000);
    shm.write(3, Buffer.from('A'));
    expect(await w.exited).toBe(0);
    const out = w.output();
    expect(out).toContain('\x1b[H\x1b[2J');
    expect(out).toContain('00 00 00 \x1b[7m41\x1b[27m 00');
    expect(out).toContain('|...\x1b[7mA\x1b[27m...');

    const plain = startWatch(['--id', String(shm.id), '--interval', '10', '--count', '2'], { pty: true, noColor: true });
    await waitUntil(() => plain.output().includes('initial'), 'first view', 10_000);
    shm.write(4, Buffer.from('B'));
    expect(await plain.exited).toBe(0);
    expect(plain.output()).toContain('\x1b[H\x1b[2J'); // still redrawn in place
    expect(plain.output()).not.toContain('\x1b[7m');
    expect(plain.output()).toContain('00 00 00 41 42 00');
    shm.detach();
  });

  it('a missing segment fails with one line', () => {
    expectFailure(rxipc(['watch', 'shm', '--id', '2147483000']), /^rxipc: EINVAL: no shared memory segment with id 2147483000$/m);
  });
});

describe('top', () => {
  it('piped: one table per refresh, with a queue the test made and its depth', async () => {
    const q = queues.create();
    for (let i = 0; i < 3; i++) await q.send(1, 'xyz');
    const r = rxipc(['top', '--interval', '50', '--count', '2']);
    expect(r.code, r.stderr).toBe(0);
    const tables = r.stdout.split(/^rxipc top: /m).filter(Boolean);
    expect(tables).toHaveLength(2);
    const row = tables[1]!.split('\n').find((l) => l.split(/\s+/)[1] === String(q.id))!;
    // KEY ID OWNER MESSAGES BYTES FILL IN/s OUT/s NET/s SENT RECEIVED
    expect(row.split(/\s+/).slice(3, 9)).toEqual(['3', '9', `${((9 / q.stat().qbytes) * 100).toFixed(1)}%`, '0.0', '0.0', '0.0']);
  });

  it('in a terminal: redrawn in place, shows a change, and q quits', async () => {
    const q = queues.create();
    await q.send(1, 'a');
    const env = { ...process.env, NO_COLOR: '1' };
    const child = spawn('script', ['-qfec', `${process.execPath} ${main} top --interval 50`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const depth = () => {
      const screens = out.split('\x1b[H\x1b[2J');
      const row = screens[screens.length - 1]!.split('\n').find((l) => l.split(/\s+/)[1] === String(q.id));
      return row?.split(/\s+/)[3];
    };
    await waitUntil(() => depth() === '1', 'the queue on screen', 10_000);
    for (let i = 0; i < 4; i++) await q.send(1, 'b');
    await waitUntil(() => depth() === '5', 'the new depth on screen', 10_000);
    expect(out).toContain('q quits');
    child.stdin.write('q');
    expect(await exited).toBe(0);
  });
});

describe('a reader that quits (EPIPE)', () => {
  it('peek and tail stop quietly; tail leaves what it did not print in the queue', async () => {
    const q = queues.create();
    for (let i = 0; i < 50; i++) await q.send(1, `line ${i}`);
    const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '' }, timeout: 15_000 });
    const peek = sh(`"${process.execPath}" "${main}" peek --id ${q.id} | head -1`);
    expect(peek.stdout.split('\n')[0]).toBe('#0 type 1: line 0');
    expect(peek.stderr).toBe('');
    const tail = sh(`"${process.execPath}" "${main}" tail --id ${q.id} | head -2`);
    expect(tail.stdout).toBe('type 1: line 0\ntype 1: line 1\n');
    expect(tail.stderr).toBe('');
    // What head read is gone; whatever tail wrote into the pipe that head never read is lost
    // to a reader that quit, as for any program; everything tail had not written is back.
    const left = drain(q).map((m) => Number(m.data.toString().slice(5)));
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThanOrEqual(48);
    expect(new Set(left).size).toBe(left.length);
    expect(left.every((n) => n >= 2)).toBe(true);
  });
});
