// The rxipc showcase (`npm run demo`): real processes talking over every mechanism built so
// far, printing what happens and when. It ends by itself within a few seconds and leaves no
// IPC object or file behind, even on error or Ctrl-C.
//
//   (a) anonymous pipe: a child reads what the parent writes; packet mode keeps boundaries
//   (b) FIFO: an open that waits for its peer without blocking anything; timeout and abort
//   (c) System V message queue: kernel-side type filtering with rx, a read stream, a typed
//       JSON queue, and removal waking a receiver blocked in another process (EIDRM)
//   (d) shared memory and a semaphore: two processes add to one counter under the lock and
//       publish records watched through a futex; a held semaphore makes another process
//       wait off its event loop; detach empties every old view
//   (e) sockets and signals: a seqpacket pair keeps boundaries and says who sent what, a pipe
//       end passed to a child over it (SCM_RIGHTS), a real-time signal with value and sender
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { createPipe, Fifo, getPipeCapacity, IPC_PRIVATE, MessageQueue, SemaphoreSet, SharedMemory, socketPair } from '@rxipc/core';
import { json, messages, shmChanges, signals, typedQueue } from '@rxipc/rx';
import { firstValueFrom, take, tap, toArray } from 'rxjs';

import { elapsed, log } from './log.js';

const say = (text: string) => log('parent', text);
const section = (title: string) => console.log(`\n== ${title}`);

// ---- resources: everything made here is undone by cleanUp(), whatever the way out ----

const cleanups: Array<() => void> = [];
function cleanUp(): void {
  for (const undo of cleanups.splice(0).reverse()) {
    try {
      undo();
    } catch (err) {
      process.stderr.write(`showcase: cleanup: ${(err as Error).message}\n`);
    }
  }
}
// Ctrl-C, kill, a closed terminal: each still undoes everything, then exits 128 + signal number.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    say(`${signal}: cleaning up`);
    cleanUp();
    process.exit(128 + constants.signals[signal]);
  });
}
// A demo must never hang: give up (cleanly) long before anyone would wonder.
const watchdog = setTimeout(() => {
  say('taking too long: giving up');
  cleanUp();
  process.exit(1);
}, 12_000);
watchdog.unref();

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

/**
 * Starts `child.js role arg` with `fds` as its fd 3, 4, ... (and, with `ipc`, a channel for
 * process.send() after them). cleanUp() kills it if it is still running.
 */
function startChild(role: string, arg = '', fds: number[] = [], ipc = false) {
  const child = spawn(process.execPath, [CHILD, role, arg], {
    stdio: ['ignore', 'inherit', 'inherit', ...fds, ...(ipc ? ['ipc' as const] : [])],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  cleanups.push(() => child.exitCode === null && child.kill());
  return { child, exited };
}

async function chunksOf(stream: Readable): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of stream) chunks.push(`"${chunk}"`);
  return chunks;
}

// ---- (a) anonymous pipes ----

async function anonymousPipe(): Promise<void> {
  section('(a) anonymous pipe: parent -> child');
  const { readable, writable } = createPipe();
  say(`pipe(): read end fd ${readable.fd}, write end fd ${writable.fd}, ${getPipeCapacity(writable)} bytes of capacity`);
  const reader = startChild('pipe-reader', '', [readable.fd]);
  readable.destroy(); // the child has its copy; ours would only hide a dead reader (no EPIPE)
  say(`started child ${reader.child.pid} with the read end as its fd 3; writing, then closing`);
  writable.end('hello through an anonymous pipe');
  say(`child exited with ${await reader.exited}`);

  section('(a) packet mode (O_DIRECT): message boundaries survive');
  const bytes = createPipe();
  const packets = createPipe({ packet: true });
  const writer = startChild('pipe-writer', '', [bytes.writable.fd, packets.writable.fd]);
  bytes.writable.destroy();
  packets.writable.destroy();
  await writer.exited; // all the data is in the kernel now; read it afterwards
  const glued = await chunksOf(bytes.readable);
  const separate = await chunksOf(packets.readable);
  say(`byte-stream pipe: ${glued.length} read gets it all: ${glued.join(' ')}`);
  say(`packet pipe:      ${separate.length} reads, one per write: ${separate.join(' ')}`);
}

// ---- (b) FIFOs ----

async function namedPipe(dir: string): Promise<void> {
  section('(b) FIFO: a writer that waits for its reader');
  const path = join(dir, 'demo.fifo');
  const fifo = Fifo.create(path, { mode: 0o600, removeOnClose: true });
  cleanups.push(() => fifo.close());
  say(`mkfifo ${path} (mode 0600)`);

  say('open for writing: no reader yet, so it waits (on a waiter thread: the event loop runs on)');
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 50);
  const started = elapsed();
  const opening = fifo.openWritable({ timeout: 5000 });
  let reader: ReturnType<typeof startChild> | undefined;
  setTimeout(() => {
    reader = startChild('fifo-reader', path);
    say(`started child ${reader.child.pid}, which opens the FIFO for reading`);
  }, 400);
  const writable = await opening;
  clearInterval(ticker);
  say(`open resolved after ${elapsed() - started} ms, when the reader came (${ticks} timer ticks ran meanwhile)`);
  for (const line of ['first line', 'second line']) writable.write(`${line}\n`);
  await new Promise<void>((done) => writable.end(() => done()));
  say('wrote two lines and closed');
  await reader?.exited;

  section('(b) FIFO: giving up on an open');
  const t1 = elapsed();
  await fifo.openWritable({ timeout: 200 }).catch((err: NodeJS.ErrnoException) => {
    say(`openWritable({ timeout: 200 }), nobody reading: ${err.code} after ${elapsed() - t1} ms`);
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const t2 = elapsed();
  await fifo.openReadable({ signal: controller.signal }).catch((err: Error) => {
    say(`openReadable({ signal }), aborted by the parent: ${err.name} after ${elapsed() - t2} ms`);
  });
  fifo.close();
  say(`removed ${path}`);
}

// ---- (c) System V message queues ----

async function messageQueue(): Promise<void> {
  section('(c) System V message queue: kernel-side type filtering');
  const queue = MessageQueue.open(IPC_PRIVATE, { create: true, mode: 0o600 });
  cleanups.push(() => queue.closed || queue.remove());
  say(`msgget(IPC_PRIVATE): queue ${queue.id} (mode 0600)`);

  // Subscribed before anything is sent: the receiver waits in msgrcv(type 3) on its thread.
  const ticks = firstValueFrom(
    messages(queue, { type: 3 }).pipe(
      tap(({ type, data }) => say(`rx messages({ type: 3 }): type ${type} "${data}"`)),
      take(3),
      toArray(),
    ),
  );
  const sender = startChild('queue-sender', String(queue.id));
  say(`started child ${sender.child.pid}: it sends a type-4 message first, then type 3, 5 and 6`);
  await Promise.all([ticks, sender.exited]);
  say(`the type-3 subscriber is done; ${queue.stat().qnum} messages are still queued, none of type 3`);
  const other = queue.tryReceive({ type: 4 });
  say(`the type-4 message, first in the queue, was skipped by the kernel, not taken: tryReceive({ type: 4 }) -> "${other?.data}"`);

  section('(c) a read stream (type 5)');
  for await (const { type, data } of queue.createReadStream({ type: 5 })) {
    if (data.length === 0) break; // the sender's end marker; leaving the loop destroys the stream
    say(`createReadStream({ type: 5 }): type ${type} "${data}"`);
  }

  section('(c) a typed queue (type 6, JSON)');
  const typed = typedQueue(queue, { point: { type: 6, codec: json<{ x: number; y: number }>() } });
  const points = await firstValueFrom(typed.messages('point').pipe(take(2), toArray()));
  say(`typed.messages('point'): ${points.map((p) => `{ x: ${p.x}, y: ${p.y} }`).join(', ')} (decoded, typed)`);

  section('(c) removing the queue wakes a receiver blocked in another process');
  const waiter = startChild('queue-waiter', String(queue.id), [], true);
  await Promise.race([once(waiter.child, 'message'), waiter.exited]); // 'waiting' (or it failed)
  queue.remove();
  say(`msgctl(IPC_RMID): removed queue ${queue.id}`);
  say(`child exited with ${await waiter.exited}`);
}

// ---- (d) shared memory and semaphores ----

async function sharedMemory(): Promise<void> {
  section('(d) shared memory and a semaphore: two processes, one counter');
  const shm = SharedMemory.open(IPC_PRIVATE, { size: 4096, create: true, mode: 0o600 });
  let removed = false; // both are removed at the end of the section; cleanUp() covers an early way out
  cleanups.push(() => {
    if (!removed) shm.remove();
    void shm.close();
  });
  const sem = SemaphoreSet.open(IPC_PRIVATE, { count: 1, create: true, initial: [1], mode: 0o600 });
  cleanups.push(() => removed || sem.remove());
  say(`shmget(IPC_PRIVATE): segment ${shm.id}, ${shm.size} bytes, zero-filled; semget(IPC_PRIVATE): set ${sem.id}, value 1`);

  // Each adder publishes a record at offset 64 when it is done: watched through its futex.
  const done = firstValueFrom(
    shmChanges(shm, { notify: true, offset: 64 }).pipe(
      tap((record) => say(`shmChanges(notify) at offset 64: "${record}"`)),
      take(2),
      toArray(),
    ),
  );
  const ids = `${shm.id}:${sem.id}`;
  const adders = [startChild('shm-adder', ids), startChild('shm-adder', ids)];
  say(`started children ${adders.map((a) => a.child.pid).join(' and ')}: each adds 1 to the counter 5000 times under the semaphore`);
  await Promise.all([...adders.map((a) => a.exited), done]);
  say(`counter = ${shm.buffer.readUInt32LE(0)} (2 × 5000, nothing lost)`);

  section('(d) a semaphore held here makes another process wait, off its event loop');
  sem.tryAcquire(0); // the lock is free again: take it
  const waiter = startChild('sem-waiter', String(sem.id), [], true);
  await Promise.race([once(waiter.child, 'message'), waiter.exited]); // 'waiting'
  setTimeout(() => {
    sem.release(0);
    say('released the semaphore');
  }, 300);
  say(`holding semaphore 0 of set ${sem.id} for 300 ms`);
  await waiter.exited;

  section('(d) detach: every old view becomes empty, never a crash');
  const bytes = shm.buffer.subarray(0, 16);
  const words = new Uint32Array(shm.buffer.buffer, shm.buffer.byteOffset, 4);
  shm.detach();
  let after = '';
  try {
    shm.read(0, 4);
  } catch (err) {
    after = (err as NodeJS.ErrnoException).code ?? String(err);
  }
  say(`after detach(): the Buffer view has length ${bytes.length}, the Uint32Array ${words.length}; read() -> ${after}`);
  shm.remove();
  sem.remove();
  removed = true;
  say(`removed segment ${shm.id} and semaphore set ${sem.id}`);
}

// ---- (e) sockets and signals ----

async function socketsAndSignals(): Promise<void> {
  section('(e) seqpacket socket pair: boundaries, credentials, a descriptor passed to a child');
  const [mine, theirs] = socketPair({ type: 'seqpacket' });
  cleanups.push(() => mine.destroy());
  const peer = startChild('socket-peer', '', [theirs.fd]);
  theirs.destroy(); // the child has its own copy
  const signal = firstValueFrom(signals('SIGRTMIN+1')); // watching before the child can send it
  for (const text of ['first', '', 'third']) mine.write(text);
  const { readable, writable } = createPipe();
  cleanups.push(() => {
    readable.destroy();
    writable.destroy();
  });
  mine.write({ data: 'a pipe for you', fds: [writable.fd] });
  await new Promise<void>((done) => mine.write('bye', () => done()));
  writable.destroy(); // the child holds the only write end now
  say(`read ${(await chunksOf(readable)).join('')} from a pipe whose write end the child was sent`);

  section('(e) a real-time signal carries a value and its sender (sigqueue)');
  const s = await signal;
  say(`signals('SIGRTMIN+1'): value ${s.value} from pid ${s.pid} (the child is ${peer.child.pid})`);
  mine.destroy();
  await peer.exited;
}

// ---- run ----

console.log(`rxipc showcase: real processes over pipes, FIFOs, System V message queues, shared memory, semaphores, sockets and signals (parent pid ${process.pid})`);
const dir = mkdtempSync(join(tmpdir(), 'rxipc-showcase-'));
cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
say(`temporary directory ${dir}`);
try {
  await anonymousPipe();
  await namedPipe(dir);
  await messageQueue();
  await sharedMemory();
  await socketsAndSignals();
  console.log(`\nall done in ${(elapsed() / 1000).toFixed(1)} s; nothing left behind`);
} catch (err) {
  say(`failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
} finally {
  cleanUp();
  clearTimeout(watchdog);
}
