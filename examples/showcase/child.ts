// The showcase's child processes, one role per invocation: `child.js ROLE [ARGS]`.
import { closeSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import { Fifo, MessageQueue, readableFromFd, SemaphoreSet, SharedMemory, sigqueue, socketFromFd, writableFromFd, type MessageSocket, type ReceivedMessage } from '@rxipc/core';
import { json, typedQueue } from '@rxipc/rx';

import { log } from './log.js';

const [role = '', arg = ''] = process.argv.slice(2);
const say = (text: string) => log(role, text);

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

switch (role) {
  // (a) pipe-demo: read the inherited read end (fd 3) to its end.
  case 'pipe-reader': {
    const text = await readAll(readableFromFd(3));
    say(`read "${text}" from fd 3, then end-of-file: the parent closed the write end`);
    break;
  }
  // (a) packets: the same three writes into a byte-stream pipe (fd 3) and a packet pipe (fd 4).
  case 'pipe-writer': {
    const ends = [writableFromFd(3), writableFromFd(4)]; // fd 4 is O_DIRECT: packet mode, detected
    for (const word of ['one', 'two', 'three']) for (const end of ends) end.write(word);
    await Promise.all(ends.map((end) => new Promise<void>((done) => end.end(() => done()))));
    say('wrote "one", "two", "three" (three writes) into each pipe, and exited');
    break;
  }
  // (b) open the FIFO for reading (the parent is waiting for a reader) and print its lines.
  case 'fifo-reader': {
    const fifo = await Fifo.openReadable(arg);
    say(`opened ${arg} for reading`);
    for await (const line of createInterface({ input: fifo, crlfDelay: Infinity })) say(`got line "${line}"`);
    say('end-of-file: the writer closed the FIFO');
    break;
  }
  // (c) send messages of several types, then exit: the messages stay in the queue.
  case 'queue-sender': {
    const queue = MessageQueue.fromId(Number(arg));
    await queue.send(4, 'for another consumer'); // first in the queue
    for (let i = 1; i <= 3; i++) await queue.send(3, `tick ${i}`);
    for (const line of ['stream line 1', 'stream line 2', '']) await queue.send(5, line); // '' = the end
    const typed = typedQueue(queue, { point: { type: 6, codec: json<{ x: number; y: number }>() } });
    await typed.send('point', { x: 1, y: 2 });
    await typed.send('point', { x: 3, y: 5 });
    say('sent type 4 x1, type 3 x3, type 5 x3, type 6 (JSON) x2; exiting');
    queue.close();
    break;
  }
  // (c) block in msgrcv until the parent removes the queue.
  case 'queue-waiter': {
    const queue = MessageQueue.fromId(Number(arg));
    const receiving = queue.receive({ type: 99 });
    say('waiting for a type-99 message that will never come');
    process.send?.('waiting');
    process.disconnect?.();
    try {
      await receiving;
    } catch (err) {
      say(`receive failed: ${(err as Error).message} (the queue was removed under the wait)`);
    }
    queue.close();
    break;
  }
  // (d) add 1 to the counter at offset 0, 5000 times under the semaphore; then publish a record.
  case 'shm-adder': {
    const [shmId, semId] = arg.split(':').map(Number);
    const shm = SharedMemory.fromId(shmId!);
    const sem = SemaphoreSet.fromId(semId!);
    const counter = shm.buffer;
    for (let i = 0; i < 5000; i++) {
      await sem.withLock(0, () => counter.writeUInt32LE(counter.readUInt32LE(0) + 1, 0));
    }
    shm.publish(64, `adder ${process.pid} done`);
    say('added 5000 under the semaphore, published a record at offset 64');
    await Promise.all([shm.close(), sem.close()]);
    break;
  }
  // (d) wait for a semaphore the parent holds; the event loop keeps ticking meanwhile.
  case 'sem-waiter': {
    const sem = SemaphoreSet.fromId(Number(arg));
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 50);
    const started = performance.now();
    const acquiring = sem.acquire(0);
    process.send?.('waiting');
    process.disconnect?.();
    say('acquire(0): waiting (on a waiter thread)');
    await acquiring;
    clearInterval(ticker);
    say(`acquired after ${Math.round(performance.now() - started)} ms; ${ticks} timer ticks ran meanwhile`);
    sem.release(0);
    await sem.close();
    break;
  }
  // (e) the other end of a seqpacket pair (fd 3): one line per message; write into a passed fd.
  case 'socket-peer': {
    const socket = socketFromFd(3) as MessageSocket;
    socket.on('data', (msg: ReceivedMessage) => {
      const fds = msg.takeFds();
      say(`message of ${msg.data.length} bytes "${msg.data}" from pid ${msg.credentials?.pid}${fds.length ? `, with ${fds.length} fd` : ''}`);
      for (const fd of fds) {
        writeSync(fd, 'hello through a passed fd');
        closeSync(fd);
      }
      if (msg.data.toString() === 'bye') {
        sigqueue(process.ppid, 'SIGRTMIN+1', 42);
        socket.end();
      }
    });
    await new Promise((done) => socket.once('close', done));
    break;
  }
  default:
    process.stderr.write(`child: unknown role '${role}'\n`);
    process.exitCode = 2;
}
