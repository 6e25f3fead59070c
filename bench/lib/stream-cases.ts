// Pipes and FIFOs (issue 2), the Node side. This process is the reader (throughput) or the
// pinger (round trip); the peer is a C program or a Node peer (bench/peer.ts) pinned to
// ctx.childCpu. C-to-C pairs are run by the orchestrator directly (bench/c/pipebench.c).
import type { ChildProcess } from 'node:child_process';
import { constants, createReadStream, openSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

import { createPipe, Fifo } from '@rxipc/core';

import { childCpu, cProgram, totalSeconds, type CaseContext, type CaseFn } from './context.js';
import { Samples, Window, type RoundTripResult, type ThroughputResult } from './meter.js';
import { nodeFifoReader, nodeFifoWriter } from './node-fifo.js';
import { writeFor } from './write-for.js';
import { allowedCpus, exited, lastJson, spawnPeer, spawnPinned, succeeded } from './proc.js';

/** Counts the bytes of `stream` until it ends, then waits for the peer to exit. */
async function readAll(stream: Readable, ctx: CaseContext, peer: ChildProcess): Promise<ThroughputResult> {
  let faults0 = 0;
  const w = new Window(ctx.warm, () => (faults0 = minorFaults()));
  let cpus = '';
  const peerDone = succeeded(peer, 'writer');
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (b: Buffer) => {
      if (!cpus) cpus = `${allowedCpus()}/${allowedCpus(peer.pid!)}`;
      w.add(b.length);
    });
    stream.once('end', () => {
      w.close();
      resolve();
    });
    stream.once('error', reject);
    peerDone.catch(reject);
  });
  const faults = minorFaults() - faults0;
  await peerDone;
  stream.destroy();
  // Page faults per read inside the window: a fresh Buffer per chunk may be fresh memory.
  return w.result('B', { 'avg chunk B': Math.round(w.units / w.reads), 'faults/read': faults / (w.reads || 1), cpus });
}

/** This process's minor page faults so far (/proc/self/stat field 10). */
function minorFaults(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[7]);
}

function cWriter(ctx: CaseContext, target: { fd: number } | { path: string }, stdout: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  const where = 'fd' in target ? ['-f', String(target.fd)] : ['-p', target.path];
  const args = ['write', ...where, '-s', String(ctx.size), '-t', String(totalSeconds(ctx))];
  return spawnPinned(childCpu(ctx), cProgram(ctx, 'pipebench'), args, { stdio: ['ignore', stdout, 'inherit'] });
}

const writerArgs = (ctx: CaseContext): string[] => ['--size', String(ctx.size), '--seconds', String(totalSeconds(ctx))];

// ---- throughput: C writer -> this reader ----

/** C writer -> rxipc createPipe() reader (the write end handed to the child as fd 3). */
const rxipcPipeRecv: CaseFn = async (ctx) => {
  const { readable, writable } = createPipe();
  const args = ['write', '-f', '3', '-s', String(ctx.size), '-t', String(totalSeconds(ctx))];
  const peer = spawnPinned(childCpu(ctx), cProgram(ctx, 'pipebench'), args, { stdio: ['ignore', 'ignore', 'inherit', writable.fd] });
  writable.destroy();
  return readAll(readable, ctx, peer);
};

/** C writer -> rxipc Fifo.openReadable(). */
const rxipcFifoRecv: CaseFn = async (ctx) => {
  const path = join(ctx.tmp, 'thr.fifo');
  using _fifo = Fifo.create(path, { removeOnClose: true });
  const opened = Fifo.openReadable(path);
  const peer = cWriter(ctx, { path });
  return await readAll(await opened, ctx, peer);
};

/** C writer -> Node net.Socket over an O_RDONLY | O_NONBLOCK FIFO fd. */
const nodeFifoSocketRecv: CaseFn = async (ctx) => {
  const path = join(ctx.tmp, 'thr.fifo');
  using _fifo = Fifo.create(path, { removeOnClose: true });
  const reader = nodeFifoReader(path);
  return await readAll(reader, ctx, cWriter(ctx, { path }));
};

/**
 * C writer -> Node net.Socket on a FIFO fd with `onread` and ONE static 64 KiB buffer: no
 * stream, no allocation per read. Not a drop-in stream (each chunk is overwritten by the
 * next read); here to show what the receive path costs without a fresh Buffer per chunk.
 */
const nodeFifoOnreadRecv: CaseFn = async (ctx) => {
  const path = join(ctx.tmp, 'thr.fifo');
  using _fifo = Fifo.create(path, { removeOnClose: true });
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const w = new Window(ctx.warm);
  const peer = cWriter(ctx, { path });
  const peerDone = succeeded(peer, 'writer');
  let cpus = '';
  await new Promise<void>((resolve, reject) => {
    const onread = {
      buffer: Buffer.allocUnsafe(64 * 1024),
      callback: (n: number) => {
        if (!cpus) cpus = `${allowedCpus()}/${allowedCpus(peer.pid!)}`;
        w.add(n);
      },
    };
    const sock = new Socket({ fd, readable: true, writable: false, onread } as ConstructorParameters<typeof Socket>[0]);
    sock.once('end', () => {
      w.close();
      resolve();
    });
    sock.once('error', reject);
    peerDone.catch(reject);
  });
  await peerDone;
  return w.result('B', { 'avg chunk B': Math.round(w.units / w.reads), cpus });
};

/** C writer -> fs.createReadStream(fifoPath) (thread-pool reads). */
const nodeFifoReadStreamRecv: CaseFn = async (ctx) => {
  const path = join(ctx.tmp, 'thr.fifo');
  using _fifo = Fifo.create(path, { removeOnClose: true });
  const reader = createReadStream(path);
  return await readAll(reader, ctx, cWriter(ctx, { path }));
};

/** C writer on its stdout -> child.stdout (spawn's 'pipe' stdio: an AF_UNIX socketpair). */
const nodeStdioRecv: CaseFn = async (ctx) => {
  const peer = cWriter(ctx, { fd: 1 }, 'pipe');
  return readAll(peer.stdout!, ctx, peer);
};

// ---- throughput: Node writer -> this reader ----

/** rxipc writableFromFd(3) in a Node child -> rxipc createPipe() reader. */
const rxipcPipePair: CaseFn = async (ctx) => {
  const { readable, writable } = createPipe();
  const peer = spawnPeer(childCpu(ctx), 'pipe-write', ['--fd', '3', ...writerArgs(ctx)], {
    stdio: ['ignore', 'ignore', 'inherit', writable.fd],
  });
  writable.destroy();
  return readAll(readable, ctx, peer);
};

/** rxipc Fifo.openWritable() in a Node child -> rxipc Fifo.openReadable(). */
const rxipcFifoPair: CaseFn = async (ctx) => {
  const path = join(ctx.tmp, 'thr.fifo');
  using _fifo = Fifo.create(path, { removeOnClose: true });
  const opened = Fifo.openReadable(path);
  const peer = spawnPeer(childCpu(ctx), 'fifo-write', ['--path', path, ...writerArgs(ctx)], { stdio: ['ignore', 'ignore', 'inherit'] });
  return await readAll(await opened, ctx, peer);
};

/** Node net.Socket FIFO writer in a child -> Node net.Socket FIFO reader. */
const nodeFifoSocketPair: CaseFn = async (ctx) => {
  const path = join(ctx.tmp, 'thr.fifo');
  using _fifo = Fifo.create(path, { removeOnClose: true });
  const reader = nodeFifoReader(path);
  const peer = spawnPeer(childCpu(ctx), 'node-fifo-write', ['--path', path, ...writerArgs(ctx)], { stdio: ['ignore', 'ignore', 'inherit'] });
  return await readAll(reader, ctx, peer);
};

// ---- throughput: this writer -> C reader ----

/** rxipc createPipe() writer (this process) -> C reader with the read end as fd 3. */
const rxipcPipeSend: CaseFn = async (ctx) => {
  const { readable, writable } = createPipe();
  const peer = spawnPinned(childCpu(ctx), cProgram(ctx, 'pipebench'), ['read', '-f', '3', '-s', String(ctx.size), '-w', String(ctx.warm)], {
    stdio: ['ignore', 'pipe', 'inherit', readable.fd],
  });
  readable.destroy();
  const result = exited(peer, true);
  let cpus = '';
  // Once the reader runs (taskset has pinned it by then).
  setTimeout(() => (cpus = `${allowedCpus()}/${allowedCpus(peer.pid!)}`), ctx.warm * 500);
  await writeFor(writable, ctx.size, totalSeconds(ctx));
  const e = await result;
  if (e.code !== 0) throw new Error(`C reader failed (exit ${e.code ?? e.signal})`);
  const r = lastJson<{ rate: number; units: number; seconds: number; reads: number }>(e.stdout, 'C reader');
  return { kind: 'thr', rate: r.rate, unit: 'B', units: r.units, seconds: r.seconds, reads: r.reads, notes: { cpus } };
};

// ---- round trip ----

/**
 * Ping-pong: writes `size` bytes to `out`, waits until `size` bytes came back on `input`,
 * for warm + seconds; then ends `out` (the peer then ends too).
 */
async function pingPong(out: Writable, input: Readable, ctx: CaseContext, peer: ChildProcess): Promise<RoundTripResult> {
  const s = new Samples(ctx.warm);
  const buf = Buffer.alloc(ctx.size, 'p');
  const peerDone = succeeded(peer, 'echo peer');
  let cpus = '';
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    let t0 = 0;
    input.on('data', (b: Buffer) => {
      got += b.length;
      if (got < ctx.size) return;
      const t1 = performance.now();
      got -= ctx.size;
      s.add(t0, t1);
      if (s.elapsed(totalSeconds(ctx))) {
        cpus = `${allowedCpus()}/${allowedCpus(peer.pid!)}`;
        out.end();
        resolve();
        return;
      }
      t0 = performance.now();
      out.write(buf);
    });
    input.once('error', reject);
    out.once('error', reject);
    peerDone.catch(reject);
    t0 = performance.now();
    out.write(buf);
  });
  await peerDone;
  input.destroy();
  return s.result({ cpus });
}

/** rxipc createPipe() x2, the far ends as fds 3 (ping in) and 4 (pong out) of an rxipc echo child. */
const rxipcPipeRtt: CaseFn = async (ctx) => {
  const ping = createPipe();
  const pong = createPipe();
  const peer = spawnPeer(childCpu(ctx), 'pipe-echo', ['--in', '3', '--out', '4'], {
    stdio: ['ignore', 'ignore', 'inherit', ping.readable.fd, pong.writable.fd],
  });
  ping.readable.destroy();
  pong.writable.destroy();
  return pingPong(ping.writable, pong.readable, ctx, peer);
};

/** Two FIFOs, rxipc Fifo.openWritable/openReadable on both sides. */
const rxipcFifoRtt: CaseFn = async (ctx) => {
  const pingPath = join(ctx.tmp, 'ping.fifo');
  const pongPath = join(ctx.tmp, 'pong.fifo');
  using _ping = Fifo.create(pingPath, { removeOnClose: true });
  using _pong = Fifo.create(pongPath, { removeOnClose: true });
  const peer = spawnPeer(childCpu(ctx), 'fifo-echo', ['--in', pingPath, '--out', pongPath], { stdio: ['ignore', 'ignore', 'inherit'] });
  const [out, input] = await Promise.all([Fifo.openWritable(pingPath), Fifo.openReadable(pongPath)]);
  return await pingPong(out, input, ctx, peer);
};

/** Two FIFOs, Node net.Socket over non-blocking fds on both sides. */
const nodeFifoSocketRtt: CaseFn = async (ctx) => {
  const pingPath = join(ctx.tmp, 'ping.fifo');
  const pongPath = join(ctx.tmp, 'pong.fifo');
  using _ping = Fifo.create(pingPath, { removeOnClose: true });
  using _pong = Fifo.create(pongPath, { removeOnClose: true });
  const input = nodeFifoReader(pongPath);
  const peer = spawnPeer(childCpu(ctx), 'node-fifo-echo', ['--in', pingPath, '--out', pongPath], { stdio: ['ignore', 'ignore', 'inherit'] });
  const out = await nodeFifoWriter(pingPath);
  return await pingPong(out, input, ctx, peer);
};

/** child.stdin -> a Node child echoing process.stdin to process.stdout -> child.stdout. */
const nodeStdioRtt: CaseFn = async (ctx) => {
  const peer = spawnPeer(childCpu(ctx), 'stdio-echo', [], { stdio: ['pipe', 'pipe', 'inherit'] });
  return pingPong(peer.stdin!, peer.stdout!, ctx, peer);
};

export const streamCases: Record<string, CaseFn> = {
  'rxipc.pipe.recv': rxipcPipeRecv,
  'rxipc.fifo.recv': rxipcFifoRecv,
  'node.fifo.socket.recv': nodeFifoSocketRecv,
  'node.fifo.readstream.recv': nodeFifoReadStreamRecv,
  'node.fifo.onread.recv': nodeFifoOnreadRecv,
  'node.stdio.recv': nodeStdioRecv,
  'rxipc.pipe.pair': rxipcPipePair,
  'rxipc.fifo.pair': rxipcFifoPair,
  'node.fifo.socket.pair': nodeFifoSocketPair,
  'rxipc.pipe.send': rxipcPipeSend,
  'rxipc.pipe.rtt': rxipcPipeRtt,
  'rxipc.fifo.rtt': rxipcFifoRtt,
  'node.fifo.socket.rtt': nodeFifoSocketRtt,
  'node.stdio.rtt': nodeStdioRtt,
};
