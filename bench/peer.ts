// The Node peer of a two-process measurement: `node peer.js <role> [--name value ...]`.
// Started by bench/case.ts, pinned by taskset. Writers write for --seconds then end; echo
// roles answer until their input ends; msg-pong answers until a zero-length ping.
import { parseArgs } from 'node:util';

import { Fifo, MessageQueue, readableFromFd, SharedMemory, writableFromFd } from '@rxipc/core';

import { nodeFifoReader, nodeFifoWriter } from './lib/node-fifo.js';
import { semPong } from './lib/sem-cases.js';
import { writeFor } from './lib/write-for.js';

import type { Readable, Writable } from 'node:stream';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    fd: { type: 'string' },
    path: { type: 'string' },
    in: { type: 'string' },
    out: { type: 'string' },
    size: { type: 'string' },
    seconds: { type: 'string' },
    qid: { type: 'string' },
    shmid: { type: 'string' },
    semid: { type: 'string' },
    spin: { type: 'string' },
  },
});
const role = positionals[0];
const num = (v: string | undefined, name: string): number => {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n)) throw new Error(`peer ${role}: --${name} is required`);
  return n;
};
const str = (v: string | undefined, name: string): string => {
  if (v === undefined) throw new Error(`peer ${role}: --${name} is required`);
  return v;
};

function echo(input: Readable, output: Writable): void {
  input.on('data', (b: Buffer) => output.write(b));
  input.once('end', () => output.end());
}

async function main(): Promise<void> {
  switch (role) {
    case 'pipe-write':
      await writeFor(writableFromFd(num(values.fd, 'fd')), num(values.size, 'size'), num(values.seconds, 'seconds'));
      break;
    case 'fifo-write':
      await writeFor(await Fifo.openWritable(str(values.path, 'path')), num(values.size, 'size'), num(values.seconds, 'seconds'));
      break;
    case 'node-fifo-write':
      await writeFor(await nodeFifoWriter(str(values.path, 'path')), num(values.size, 'size'), num(values.seconds, 'seconds'));
      break;
    case 'pipe-echo':
      echo(readableFromFd(num(values.in, 'in')), writableFromFd(num(values.out, 'out')));
      break;
    case 'fifo-echo': {
      const [input, output] = await Promise.all([Fifo.openReadable(str(values.in, 'in')), Fifo.openWritable(str(values.out, 'out'))]);
      echo(input, output);
      break;
    }
    case 'node-fifo-echo': {
      const input = nodeFifoReader(str(values.in, 'in'));
      echo(input, await nodeFifoWriter(str(values.out, 'out')));
      break;
    }
    case 'stdio-echo':
      echo(process.stdin, process.stdout);
      break;
    case 'msg-pong': {
      // @rxipc/rx only where it is used: it is most of a peer's start-up.
      const { messages } = await import('@rxipc/rx');
      const q = MessageQueue.fromId(num(values.qid, 'qid'));
      const sub = messages(q, { type: 1, spin: values.spin === undefined ? 0 : num(values.spin, 'spin') }).subscribe({
        next: (m) => {
          if (m.data.length === 0) {
            sub.unsubscribe();
            q.close();
            return;
          }
          if (!q.trySend(2, m.data)) throw new Error('queue full in a ping-pong');
        },
        error: (err: Error) => {
          process.stderr.write(`msg-pong: ${err.message}\n`);
          process.exitCode = 1;
        },
      });
      break;
    }
    case 'shm-pong': {
      // Answers each ping record (offset 0) it sees by publishing it as the pong record
      // (offset 128); a zero-length ping ends it. A ping published before it subscribed is
      // the initial emission: answered too.
      const { shmChanges } = await import('@rxipc/rx');
      const shm = SharedMemory.fromId(num(values.shmid, 'shmid'));
      const sub = shmChanges(shm, { notify: true, offset: 0 }).subscribe({
        next: (data) => {
          if (data.length === 0) {
            sub.unsubscribe();
            void shm.close();
            return;
          }
          shm.publish(128, data);
        },
        error: (err: Error) => {
          process.stderr.write(`shm-pong: ${err.message}\n`);
          process.exitCode = 1;
        },
      });
      break;
    }
    case 'sem-pong':
      await semPong(num(values.semid, 'semid'));
      break;
    default:
      throw new Error(`unknown peer role '${role}'`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`peer ${role}: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
