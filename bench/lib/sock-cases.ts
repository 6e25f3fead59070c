// Unix domain sockets (issue 9), the Node side. This process reads (throughput), pings
// (round trip) or receives fds; the peer is a role of bench/c/sockbench.c pinned to
// ctx.childCpu. The C-to-C pairs are run by the orchestrator directly.
//
// rxipc rows use socketPair() with its defaults (what a user gets): the far end is handed to
// the C child as fd 3 and closed here. The Node reference is Node's own unix stream socket:
// a net.Server listening on a path in ctx.tmp (removed by server.close() and, whatever
// happens, with the run's directory by the orchestrator) that the C role connects to.
import type { ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

import { socketPair, type MessageSocket, type ReceivedMessage, type StreamSocket } from '@rxipc/core';

import { childCpu, cProgram, totalSeconds, type CaseContext, type CaseFn } from './context.js';
import { Samples, Window, type RoundTripResult, type ThroughputResult } from './meter.js';
import { allowedCpus, spawnPinned, succeeded } from './proc.js';

type Kind = 'stream' | 'seqpacket' | 'dgram';

function cRole(ctx: CaseContext, role: string, where: { fd: number } | { path: string }, extra: string[] = []): ChildProcess {
  const at = 'fd' in where ? ['-f', '3'] : ['-p', where.path];
  const stdio = 'fd' in where ? (['ignore', 'ignore', 'inherit', where.fd] as const) : (['ignore', 'ignore', 'inherit'] as const);
  return spawnPinned(childCpu(ctx), cProgram(ctx, 'sockbench'), [role, ...at, ...extra], { stdio: [...stdio] });
}

/** Node's net.Server on a path in the run's directory; resolves with the first connection. */
async function netServer(ctx: CaseContext): Promise<{ path: string; server: Server; connection: Promise<Socket> }> {
  const path = join(ctx.tmp, 'net.sock');
  const server = createServer();
  const connection = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return { path, server, connection };
}

// ---- throughput: C writer -> this reader (messages of ctx.size bytes per second) ----

async function countStream(stream: StreamSocket | Socket, ctx: CaseContext, peer: ChildProcess): Promise<ThroughputResult> {
  const w = new Window(ctx.warm);
  const peerDone = succeeded(peer, 'writer');
  let cpus = '';
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (b: Buffer) => {
      if (!cpus) cpus = `${allowedCpus()}/${allowedCpus(peer.pid!)}`;
      w.add(b.length / ctx.size);
    });
    stream.once('end', () => {
      w.close();
      resolve();
    });
    stream.once('error', reject);
    peerDone.catch(reject);
  });
  await peerDone;
  stream.destroy();
  return w.result('msg', { 'avg read B': Math.round((w.units * ctx.size) / w.reads), cpus });
}

async function countMessages(socket: MessageSocket, ctx: CaseContext, peer: ChildProcess): Promise<ThroughputResult> {
  const w = new Window(ctx.warm);
  const peerDone = succeeded(peer, 'writer');
  let cpus = '';
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (m: ReceivedMessage) => {
      if (m.data.length === 1) {
        w.close();
        resolve();
        return;
      }
      if (!cpus) cpus = `${allowedCpus()}/${allowedCpus(peer.pid!)}`;
      w.add(1);
    });
    socket.once('error', reject);
    peerDone.catch(reject);
  });
  await peerDone;
  socket.destroy();
  return w.result('msg', { cpus });
}

const rxipcRecv = (kind: Kind): CaseFn => async (ctx) => {
  const writerArgs = ['-s', String(ctx.size), '-t', String(totalSeconds(ctx))];
  if (kind === 'stream') {
    const [mine, theirs] = socketPair({ type: 'stream' });
    const peer = cRole(ctx, 'write', { fd: theirs.fd }, writerArgs);
    theirs.destroy();
    return countStream(mine, ctx, peer);
  }
  const [mine, theirs] = socketPair({ type: kind });
  const peer = cRole(ctx, 'write', { fd: theirs.fd }, writerArgs);
  theirs.destroy();
  return countMessages(mine, ctx, peer);
};

/** C writer connects to a Node net.Server; Node reads with the accepted net.Socket. */
const nodeNetRecv: CaseFn = async (ctx) => {
  const { path, server, connection } = await netServer(ctx);
  try {
    const peer = cRole(ctx, 'write', { path }, ['-s', String(ctx.size), '-t', String(totalSeconds(ctx))]);
    return await countStream(await connection, ctx, peer);
  } finally {
    server.close();
  }
};

// ---- round trip: this side pings, the C echo answers ----

async function pingPong(sock: StreamSocket | Socket | MessageSocket, message: boolean, ctx: CaseContext, peer: ChildProcess): Promise<RoundTripResult> {
  const s = new Samples(ctx.warm);
  const buf = Buffer.alloc(ctx.size, 'p');
  const peerDone = succeeded(peer, 'echo');
  const send = message ? (data: Buffer) => (sock as MessageSocket).write({ data }) : (data: Buffer) => (sock as Socket).write(data);
  let cpus = '';
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    let t0 = 0;
    sock.on('data', (b: Buffer | ReceivedMessage) => {
      got += b instanceof Buffer ? b.length : ctx.size;
      if (got < ctx.size) return;
      const t1 = performance.now();
      got -= ctx.size;
      s.add(t0, t1);
      if (s.elapsed(totalSeconds(ctx))) {
        cpus = `${allowedCpus()}/${allowedCpus(peer.pid!)}`;
        // A datagram pair has no end-of-stream: the 1-byte marker ends the echo.
        if (message) send(Buffer.from('E'));
        sock.end();
        resolve();
        return;
      }
      t0 = performance.now();
      send(buf);
    });
    sock.once('error', reject);
    peerDone.catch(reject);
    t0 = performance.now();
    send(buf);
  });
  await peerDone;
  sock.destroy();
  return s.result({ cpus });
}

const rxipcRtt = (kind: Kind): CaseFn => async (ctx) => {
  const [mine, theirs] = kind === 'stream' ? socketPair({ type: 'stream' }) : socketPair({ type: kind });
  const peer = cRole(ctx, 'echo', { fd: theirs.fd });
  theirs.destroy();
  return pingPong(mine, kind !== 'stream', ctx, peer);
};

const nodeNetRtt: CaseFn = async (ctx) => {
  const { path, server, connection } = await netServer(ctx);
  try {
    const peer = cRole(ctx, 'echo', { path });
    return await pingPong(await connection, false, ctx, peer);
  } finally {
    server.close();
  }
};

// ---- descriptor passing: the C sender passes one fd per message, this side closes each ----

const rxipcFdRecv: CaseFn = async (ctx) => {
  const [mine, theirs] = socketPair({ type: 'seqpacket' });
  const peer = cRole(ctx, 'fd-send', { fd: theirs.fd }, ['-t', String(totalSeconds(ctx))]);
  theirs.destroy();
  const w = new Window(ctx.warm);
  const peerDone = succeeded(peer, 'fd sender');
  let cpus = '';
  await new Promise<void>((resolve, reject) => {
    mine.on('data', (m: ReceivedMessage) => {
      const fds = m.takeFds();
      if (fds.length === 0) {
        w.close();
        resolve();
        return;
      }
      for (const fd of fds) closeSync(fd);
      if (!cpus) cpus = `${allowedCpus()}/${allowedCpus(peer.pid!)}`;
      w.add(fds.length);
    });
    mine.once('error', reject);
    peerDone.catch(reject);
  });
  await peerDone;
  mine.destroy();
  return w.result('msg', { cpus });
};

export const sockCases: Record<string, CaseFn> = {
  'rxipc.sock.stream.recv': rxipcRecv('stream'),
  'rxipc.sock.seqpacket.recv': rxipcRecv('seqpacket'),
  'rxipc.sock.dgram.recv': rxipcRecv('dgram'),
  'node.sock.net.recv': nodeNetRecv,
  'rxipc.sock.stream.rtt': rxipcRtt('stream'),
  'rxipc.sock.seqpacket.rtt': rxipcRtt('seqpacket'),
  'rxipc.sock.dgram.rtt': rxipcRtt('dgram'),
  'node.sock.net.rtt': nodeNetRtt,
  'rxipc.sock.fd.recv': rxipcFdRecv,
};
