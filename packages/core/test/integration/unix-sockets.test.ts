// Unix datagram and seqpacket sockets bound to paths and abstract names: sender addresses
// and credentials, ECONNREFUSED / ENOENT / EADDRINUSE with Node's face, backpressure that
// waits instead of dropping, listen/accept/connect across processes, no socket file left.
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { connectSeqpacket, createDatagramSocket, listenSeqpacket, type MessageSocket, type ReceivedMessage } from '@rxipc/core';

import { countFds, killChildren, makeTempDir, sleep, spawnNode, waitUntil, type TempDir } from '../../../../test/support/fs.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
let dir: TempDir;
let baseFds: number;
let n = 0;
const abstract = () => `\0rxipc-test-${process.pid}-${++n}-${Date.now()}`;

beforeAll(() => {
  baseFds = countFds();
  dir = makeTempDir('sockets');
  return () => dir.remove();
});
afterEach(() => killChildren());

const closed = (s: NodeJS.EventEmitter & { closed?: boolean }) => (s.closed ? Promise.resolve() : new Promise<void>((r) => s.once('close', () => r())));
function take(s: MessageSocket, count: number): Promise<ReceivedMessage[]> {
  return new Promise((resolve, reject) => {
    const got: ReceivedMessage[] = [];
    const onData = (m: ReceivedMessage) => {
      got.push(m);
      if (got.length === count) {
        s.off('data', onData);
        s.pause();
        resolve(got);
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    s.resume();
  });
}

describe('unix datagram sockets', () => {
  it('path-bound: a datagram arrives with the sender address and credentials; the path is removed on close', async () => {
    const path = dir.unique('dg');
    const server = createDatagramSocket({ bind: path });
    expect(server.address()).toBe(path);
    const clientPath = dir.unique('client');
    const client = createDatagramSocket({ bind: clientPath });
    const got = take(server, 2);
    await client.send('one', { to: path });
    await client.send(Buffer.alloc(0), { to: path });
    const [a, b] = await got;
    expect(a!.data.toString()).toBe('one');
    expect(a!.from).toBe(clientPath);
    expect(a!.credentials).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    expect(b!.data.length).toBe(0);
    // Replying to the sender's address.
    const reply = take(client, 1);
    await server.send('back', { to: a!.from! });
    expect((await reply)[0]!.data.toString()).toBe('back');
    server.close();
    client.close();
    await Promise.all([closed(server), closed(client)]);
    expect(existsSync(path) || existsSync(clientPath)).toBe(false);
  });

  it('abstract names work, connect() sets the default destination', async () => {
    const name = abstract();
    const server = createDatagramSocket({ bind: name });
    expect(server.address()).toBe(name);
    const client = createDatagramSocket({ connect: name });
    expect(client.remoteAddress()).toBe(name);
    const got = take(server, 1);
    client.write('via connect');
    const [m] = await got;
    expect(m!.data.toString()).toBe('via connect');
    expect(m!.from).toMatch(/^\0/); // autobound (SO_PASSCRED): an abstract name the kernel chose
    server.close();
    client.close();
  });

  it('a datagram to a path with no listener: ECONNREFUSED (a stale socket file) or ENOENT, with address; a path in use: EADDRINUSE, never unlinked', async () => {
    const stale = dir.unique('stale');
    const s = createDatagramSocket({ bind: stale });
    // Leave the file behind as a crashed process would: close the fd without unlinking.
    (s as unknown as { unlinkOnClose(p: string | undefined): void }).unlinkOnClose(undefined);
    s.close();
    await closed(s);
    expect(existsSync(stale)).toBe(true);
    const client = createDatagramSocket();
    await expect(client.send('x', { to: stale })).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'sendmsg', address: stale });
    const missing = dir.unique('missing');
    await expect(client.send('x', { to: missing })).rejects.toMatchObject({ code: 'ENOENT', address: missing });
    expect(() => createDatagramSocket({ bind: stale })).toThrow(expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind', address: stale }));
    expect(existsSync(stale)).toBe(true); // the caller decides to unlink it
    const plain = dir.unique('file');
    writeFileSync(plain, 'not a socket');
    expect(() => createDatagramSocket({ bind: plain })).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    expect(() => client.connect(missing)).toThrow(expect.objectContaining({ code: 'ENOENT', address: missing }));
    // The socket stays usable after a refused send or connect.
    const name = abstract();
    const server = createDatagramSocket({ bind: name });
    const got = take(server, 1);
    await client.send('after errors', { to: name });
    expect((await got)[0]!.data.toString()).toBe('after errors');
    server.close();
    client.close();
  });

  it('misuse: addresses too long, NUL inside a path, not a string', () => {
    const s = createDatagramSocket();
    expect(() => s.bind('/x'.repeat(60))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => s.bind('a\0b')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => s.bind(1 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => s.bind('')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    s.close();
  });

  it('300 datagrams sent faster than they are read: the sender waits, nothing is lost, order kept', async () => {
    const path = dir.unique('slow');
    const server = createDatagramSocket({ bind: path });
    const c = spawnNode(fixture('dgram-sender.mjs'), { args: [path, '300', '4096'] });
    await sleep(300); // the receiver does not read: the kernel queue fills, the sender waits
    expect(c.child.exitCode).toBeNull();
    const got = await take(server, 300);
    expect(got.map((m) => Number.parseInt(m.data.toString('latin1'), 10))).toEqual([...Array(300).keys()]);
    expect(got.every((m) => m.data.length === 4096 && m.credentials!.pid === c.child.pid)).toBe(true);
    expect((await c.exited).code).toBe(0);
    server.close();
  });

  it('an oversized datagram is reported truncated, never silently cut', async () => {
    const name = abstract();
    const server = createDatagramSocket({ bind: name, maxMessageSize: 1000 });
    const client = createDatagramSocket({ connect: name });
    const got = take(server, 1);
    client.write(Buffer.alloc(5000, 7));
    const [m] = await got;
    expect(m).toMatchObject({ truncated: true, size: 5000 });
    expect(m!.data.length).toBe(1000);
    server.close();
    client.close();
  });
});

describe('seqpacket servers', () => {
  it('listen/accept/connect: message-preserving connections, SO_PEERCRED = the client pid', async () => {
    const path = dir.unique('seq');
    const server = listenSeqpacket(path);
    const peers: number[] = [];
    server.on('connection', (conn) => {
      peers.push(conn.peerCredentials().pid);
      conn.on('data', (msg: ReceivedMessage) => conn.write(`echo ${msg.data.toString()}`));
      conn.on('end', () => conn.end());
    });
    const c = spawnNode(fixture('seqpacket-client.mjs'), { args: [path] });
    const line = await c.line(/^reply /);
    expect(line).toBe(`reply echo hello from ${c.child.pid}`);
    expect((await c.exited).code).toBe(0);
    expect(peers).toEqual([c.child.pid]);

    // In this process too, several messages and a 0-byte one.
    const conn = await connectSeqpacket(path);
    expect(conn.peerCredentials().pid).toBe(process.pid);
    const got = take(conn, 3);
    conn.write('a');
    conn.write('');
    conn.write('bc');
    expect((await got).map((m) => m.data.toString())).toEqual(['echo a', 'echo ', 'echo bc']);
    conn.end();
    conn.resume();
    await closed(conn);
    expect(() => listenSeqpacket(path)).toThrow(expect.objectContaining({ code: 'EADDRINUSE', address: path }));
    server.close();
    expect(existsSync(path)).toBe(false);
  });

  it('connect to nobody: ECONNREFUSED / ENOENT rejections with address, never an uncaught throw', async () => {
    const missing = dir.unique('none');
    await expect(connectSeqpacket(missing)).rejects.toMatchObject({ code: 'ENOENT', syscall: 'connect', address: missing });
    const name = abstract();
    await expect(connectSeqpacket(name)).rejects.toMatchObject({ code: 'ECONNREFUSED', address: name });
    await expect(connectSeqpacket(1 as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(connectSeqpacket(name, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('abstract-name server; closing the server leaves accepted connections open', async () => {
    const name = abstract();
    const server = listenSeqpacket(name);
    const accepted = new Promise<MessageSocket>((r) => server.once('connection', r));
    const client = await connectSeqpacket(name);
    const conn = await accepted;
    server.close();
    const got = take(conn, 1);
    client.write('still here');
    expect((await got)[0]!.data.toString()).toBe('still here');
    client.destroy();
    conn.destroy();
  });
});

describe('no fd left', () => {
  it('after every test above', async () => {
    await waitUntil(() => countFds() <= baseFds, { message: () => `fds back to ${baseFds} (now ${countFds()})` });
  });
});
