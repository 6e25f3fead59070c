// System V message queues (issue 3), the Node side. The orchestrator makes the queue
// (IPC_PRIVATE), passes its id in ctx.qid and removes it after the run. Type 1 carries
// data; one zero-length type-2 message marks the end of a throughput run.
import type { ChildProcess } from 'node:child_process';

import { MessageQueue, type Message } from '@rxipc/core';
import { messages } from '@rxipc/rx';

import { childCpu, cProgram, totalSeconds, type CaseContext, type CaseFn } from './context.js';
import { Window, type ThroughputResult } from './meter.js';
import { pingPong } from './ping-pong.js';
import { allowedCpus, exited, lastJson, spawnPeer, spawnPinned, succeeded } from './proc.js';

const DATA = 1;
const END = 2;
const EMPTY = Buffer.alloc(0);
/** The latency-mode rows' spin window (µs): about a cross-CPU round trip of C here. */
const SPIN_US = 100;

function queueOf(ctx: CaseContext): MessageQueue {
  if (ctx.qid === undefined) throw new Error(`${ctx.id}: no queue id`);
  return MessageQueue.fromId(ctx.qid);
}

function cSender(ctx: CaseContext): ChildProcess {
  const args = ['send', '-q', String(ctx.qid), '-s', String(ctx.size), '-t', String(totalSeconds(ctx))];
  return spawnPinned(childCpu(ctx), cProgram(ctx, 'msgqbench'), args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Counts type-1 messages until the end marker. Batches are counted by the Buffer they
 * arrive in: the receiver hands over each batch as ONE buffer and messages are views of it.
 */
class Counter {
  readonly window: Window;
  batches = 0;
  messages = 0;
  cpus = '';
  #lastBuffer: ArrayBufferLike | undefined;

  constructor(ctx: CaseContext) {
    this.window = new Window(ctx.warm);
  }

  /** Returns false at the end marker. */
  take(m: Message): boolean {
    if (m.data.buffer !== this.#lastBuffer) {
      this.#lastBuffer = m.data.buffer;
      this.batches++;
    }
    if (m.type !== DATA) {
      this.window.close();
      return false;
    }
    this.messages++;
    this.window.add(1);
    return true;
  }

  result(): ThroughputResult {
    return this.window.result('msg', { 'avg batch': Math.round(this.messages / this.batches), cpus: this.cpus });
  }
}

/**
 * C sender -> one rxipc receiver. `listen` starts receiving, handing each message to
 * `onMessage` and failures to `onError`, and returns how to stop; counting ends at the
 * sender's end marker.
 */
async function fromCSender(
  ctx: CaseContext,
  listen: (q: MessageQueue, onMessage: (m: Message) => void, onError: (err: unknown) => void) => () => void,
): Promise<ThroughputResult> {
  const q = queueOf(ctx);
  const c = new Counter(ctx);
  let peer: ChildProcess | undefined;
  let peerDone: Promise<unknown> | undefined;
  await new Promise<void>((resolve, reject) => {
    const stop = listen(
      q,
      (m) => {
        if (c.take(m)) return;
        c.cpus = `${allowedCpus()}/${allowedCpus(peer!.pid!)}`;
        stop();
        resolve();
      },
      reject,
    );
    peer = cSender(ctx);
    peerDone = succeeded(peer, 'C sender');
    peerDone.catch(reject);
  });
  await peerDone;
  q.close();
  return c.result();
}

/** C sender -> rx messages(q) with a plain subscriber function. */
const rxRecv: CaseFn = (ctx) =>
  fromCSender(ctx, (q, onMessage, onError) => {
    const sub = messages(q).subscribe({ next: onMessage, error: onError });
    return () => sub.unsubscribe();
  });

/** C sender -> MessageQueue.createReadStream() consumed with a 'data' listener. */
const streamRecv: CaseFn = (ctx) =>
  fromCSender(ctx, (q, onMessage, onError) => {
    const rs = q.createReadStream();
    rs.on('data', onMessage);
    rs.once('error', onError);
    return () => rs.destroy();
  });

/** Starts the C receiver; `send` sends for the total time; then the end marker. */
async function toCReceiver(ctx: CaseContext, send: (q: MessageQueue, buf: Buffer, until: number) => Promise<Record<string, number>>): Promise<ThroughputResult> {
  const q = queueOf(ctx);
  const peer = spawnPinned(childCpu(ctx), cProgram(ctx, 'msgqbench'), ['recv', '-q', String(ctx.qid), '-w', String(ctx.warm)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const done = exited(peer, true);
  const notes = await send(q, Buffer.alloc(ctx.size, 'x'), performance.now() + totalSeconds(ctx) * 1000);
  const cpus = `${allowedCpus()}/${allowedCpus(peer.pid!)}`;
  await q.send(END, EMPTY);
  const e = await done;
  q.close();
  if (e.code !== 0) throw new Error(`C receiver failed (exit ${e.code ?? e.signal})`);
  const r = lastJson<{ rate: number; units: number; seconds: number; reads: number }>(e.stdout, 'C receiver');
  return { kind: 'thr', rate: r.rate, unit: 'msg', units: r.units, seconds: r.seconds, reads: r.reads, notes: { ...notes, cpus } };
}

/** trySend() in a loop; when the queue is full, await send() (which waits off-thread). */
const trySendToC: CaseFn = (ctx) =>
  toCReceiver(ctx, async (q, buf, until) => {
    let waits = 0;
    while (performance.now() < until) {
      for (let i = 0; i < 256; i++) {
        if (!q.trySend(DATA, buf)) {
          waits++;
          await q.send(DATA, buf);
        }
      }
    }
    return { 'full waits': waits };
  });

/** createWriteStream({ type: 1 }).write() honouring 'drain'; `cork` writes in corked groups. */
function writeStreamToC(cork: number): CaseFn {
  return (ctx) =>
    toCReceiver(ctx, async (q, buf, until) => {
      const ws = q.createWriteStream({ type: DATA });
      let drains = 0;
      let failed: Error | undefined;
      ws.on('error', (err) => (failed = err));
      while (performance.now() < until && !failed) {
        if (cork > 0) ws.cork();
        let full = false;
        for (let i = 0; i < 256 && !full; i++) full = !ws.write(buf);
        if (cork > 0) ws.uncork();
        if (full || ws.writableNeedDrain) {
          drains++;
          await new Promise<void>((resolve) => {
            const done = () => {
              ws.off('drain', done);
              ws.off('close', done);
              resolve();
            };
            ws.on('drain', done);
            ws.on('close', done);
          });
        }
      }
      if (failed) throw failed;
      await new Promise<void>((resolve, reject) => ws.end((err?: Error | null) => (err ? reject(err) : resolve())));
      return { drains };
    });
}

/**
 * Ping type 1, pong type 2 on one queue; this side pings with trySend() and receives the
 * pongs with rx messages(). The ponger is an rxipc peer (the same) or the C program; a
 * zero-length ping stops it. `spin`: the receivers' latency mode (µs; the rxipc ponger too).
 */
const rxRtt = (ponger: 'rxipc' | 'c', spin = 0): CaseFn => async (ctx) => {
  const q = queueOf(ctx);
  const ping = Buffer.alloc(ctx.size, 'p');
  const peer =
    ponger === 'rxipc'
      ? spawnPeer(childCpu(ctx), 'msg-pong', ['--qid', String(ctx.qid), '--spin', String(spin)], { stdio: ['ignore', 'ignore', 'inherit'] })
      : spawnPinned(childCpu(ctx), cProgram(ctx, 'msgqbench'), ['pong', '-q', String(ctx.qid)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const send = (data: Buffer) => {
    if (!q.trySend(DATA, data)) throw new Error('queue full in a ping-pong');
  };
  const result = await pingPong(ctx, peer, messages(q, { type: 2, spin }), () => send(ping), () => send(EMPTY));
  q.close();
  return result;
};

export const msgCases: Record<string, CaseFn> = {
  'rxipc.msg.rx': rxRecv,
  'rxipc.msg.stream': streamRecv,
  'rxipc.msg.trysend': trySendToC,
  'rxipc.msg.wstream': writeStreamToC(0),
  'rxipc.msg.wstream.cork': writeStreamToC(256),
  'rxipc.msg.rtt': rxRtt('rxipc'),
  'rxipc.msg.rtt.cpong': rxRtt('c'),
  'rxipc.msg.rtt.spin': rxRtt('rxipc', SPIN_US),
  'rxipc.msg.rtt.cpong.spin': rxRtt('c', SPIN_US),
};
