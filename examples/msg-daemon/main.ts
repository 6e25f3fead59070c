// msg-daemon: send or receive one message on a System V message queue, without waiting.
// TypeScript port of msg_daemon.c, wire-compatible with it: run one side in C and the
// other in TypeScript on the same key and they understand each other.
//
//   msg-daemon -s [-t TYPE] [-k KEY] [-m MODE]   send "a message at <ctime>"
//   msg-daemon -r [-t TYPE] [-k KEY] [-m MODE]   receive one message of TYPE, if any
//
// The message is the C program's `struct msgbuf { long mtype; char mtext[80]; }` sent with
// size 80: the text, then NUL bytes up to 80 bytes. Both calls use IPC_NOWAIT, and the
// receive uses MSG_NOERROR (a longer message is cut to 80 bytes instead of failing).
//
// Differences from the C version, on purpose:
//   - `-k KEY` takes the key, decimal or 0x-hex (the C's -k took no argument and crashed);
//   - a new queue gets mode 0600 (owner only), not 0666; `-m 666` restores the C's
//     world-readable, world-writable queue for users other than its owner;
//   - -s and -r together is a usage error (the C silently used the last one);
//   - the 80 bytes after the text are zeros (the C sent whatever was on its stack).
// Like the C version it never removes the queue: `ipcrm -Q KEY` does.
//
// Run: npm run example msg-daemon -- -s -t 2 -k 0x4d2
import { parseArgs } from 'node:util';

import { MessageQueue } from '@rxipc/core';

const MTEXT_SIZE = 80; // sizeof(msg.mtext) in the C program

function usage(problem: string): never {
  process.stderr.write(
    `${problem}\n` +
      'Usage : msg-daemon [options]\n' +
      'Options are:\n' +
      '-s       send message using msgsnd()\n' +
      '-r       read message using msgrcv()\n' +
      '-t TYPE  message type (default is 1)\n' +
      '-k KEY   message queue key, decimal or 0x hex (default is 1234)\n' +
      '-m MODE  octal permissions of a new queue (default is 600)\n',
  );
  process.exit(1);
}

/** `text` as an integer in [min, max], written in decimal (or 0x-hex, with `hex`). */
function integer(text: string, min: number, max: number, hex = false): number | undefined {
  const n = /^\d+$/.test(text) ? Number(text) : hex && /^0x[\da-f]+$/i.test(text) ? Number.parseInt(text, 16) : NaN;
  return n >= min && n <= max ? n : undefined;
}

/** `text` as permission bits written in octal (600, 0644), or undefined. */
function octal(text: string): number | undefined {
  const n = /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : NaN;
  return n <= 0o777 ? n : undefined;
}

/** C's ctime(3) in local time: "Thu Nov 26 15:57:47 2026\n". */
function ctime(d: Date): string {
  const day = d.toLocaleString('en-US', { weekday: 'short' });
  const month = d.toLocaleString('en-US', { month: 'short' });
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return `${day} ${month} ${String(d.getDate()).padStart(2)} ${time} ${d.getFullYear()}\n`;
}

/** The text of a C char array: everything up to the first NUL byte. */
function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.toString('utf8', 0, end === -1 ? bytes.length : end);
}

function die(text: string): never {
  process.stderr.write(`${text}\n`);
  process.exit(1);
}

/** Runs `call`; if it throws, prints `what: error` and exits 1, like the C's perror() + exit(). */
function orExit<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    die(`${what}: ${(err as Error).message}`);
  }
}

function options() {
  try {
    return parseArgs({
      options: {
        send: { type: 'boolean', short: 's' },
        receive: { type: 'boolean', short: 'r' },
        type: { type: 'string', short: 't', default: '1' },
        key: { type: 'string', short: 'k', default: '1234' },
        mode: { type: 'string', short: 'm', default: '600' },
      },
    }).values;
  } catch (err) {
    return usage((err as Error).message); // an unknown option, a missing value, an extra argument
  }
}

const flags = options();
const type = integer(flags.type, 1, Number.MAX_SAFE_INTEGER) ?? usage('-t option must be an integer greater than 0');
// Key 0 is IPC_PRIVATE: a new, unnamed queue on every run, that no one else could open.
const key = integer(flags.key, 1, 0xffffffff, true) ?? usage('-k option must be a key from 1 to 0xffffffff');
const mode = octal(flags.mode) ?? usage('-m option must be octal permissions such as 600');
if (flags.send === flags.receive) usage('must use either -s or -r option');

// msgget(key, IPC_CREAT | mode)
const queue = orExit('msgget error', () => MessageQueue.open(key, { create: true, mode }));

if (flags.send) {
  const text = `a message at ${ctime(new Date())}`;
  const mtext = Buffer.alloc(MTEXT_SIZE); // zero-filled: the text's NUL terminator and padding
  mtext.write(text, 0, MTEXT_SIZE - 1, 'utf8'); // like snprintf: at most 79 bytes, then a NUL
  // msgsnd(..., IPC_NOWAIT): false means EAGAIN, the queue is full
  const sent = orExit('msgsnd error', () => queue.trySend(type, mtext));
  if (!sent) die('msgsnd error: EAGAIN: the queue is full');
  console.log(`sent :${cString(mtext)}`);
} else {
  // msgrcv(..., 80, type, MSG_NOERROR | IPC_NOWAIT): undefined means ENOMSG, none there
  const message = orExit('msgrcv error', () => queue.tryReceive({ type, maxSize: MTEXT_SIZE, truncate: true }));
  if (message === undefined) console.log('No message available for msgrcv()');
  else console.log(`recv : ${cString(message.data)}`);
}
queue.close(); // forgets our handle; the queue stays for the next run
