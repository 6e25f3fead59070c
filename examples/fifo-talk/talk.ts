// What talker01 and talker02 share: the command line, line framing and the conversation.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';

import type { PipeReadable, PipeWritable } from '@rxipc/core';

/** The FIFO names, as in the C programs: talker01 writes fifo01 and reads fifo02. */
export const FIFO01 = 'fifo01';
export const FIFO02 = 'fifo02';

/** `[--dir DIR]`: where the FIFOs live (default: the current directory, like the C). */
export function parseDir(prog: string, args: string[]): string {
  try {
    return parseArgs({ args, options: { dir: { type: 'string', short: 'd', default: '.' } } }).values.dir;
  } catch (err) {
    process.stderr.write(`${prog}: ${(err as Error).message}\nUsage: ${prog} [--dir DIR]\n`);
    process.exit(2);
  }
}

/** `status` on stderr, so that stdout is only the conversation. */
export function status(prog: string, text: string): void {
  process.stderr.write(`${prog}: ${text}\n`);
}

/**
 * The lines of a stream, one per `next()` call; undefined at end of stream. Splitting on
 * '\n' is the message framing: a message is never cut by a short read nor glued to the next.
 */
function lines(input: Readable): () => Promise<string | undefined> {
  const iterator = createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
  return async () => {
    const { value, done } = await iterator.next();
    return done ? undefined : value;
  };
}

const PEER_LEFT = Symbol('peer left');

/**
 * Takes turns, like the C programs: the speaker reads a line from stdin (prompt `echo : `)
 * and sends it; the other side prints it (`reply: ...`), then speaks. Returns when stdin
 * ends (Ctrl-D) or when the peer goes away (closes its ends of the FIFOs, exits, is killed).
 */
export async function converse(peer: { from: PipeReadable; to: PipeWritable }, speakFirst: boolean): Promise<'stdin closed' | 'peer left'> {
  const fromStdin = lines(process.stdin);
  const fromPeer = lines(peer.from);
  // While it is our turn, this is how a peer that quits is noticed without waiting for our
  // next line: end-of-file on the FIFO we read, or EPIPE on the one we write.
  const peerLeft = new Promise<typeof PEER_LEFT>((resolve) => {
    peer.from.once('end', () => resolve(PEER_LEFT));
    peer.to.on('error', () => resolve(PEER_LEFT));
  });

  for (let speaking = speakFirst; ; speaking = !speaking) {
    if (speaking) {
      process.stdout.write('echo : ');
      const line = await Promise.race([fromStdin(), peerLeft]);
      if (line === PEER_LEFT || line === undefined) {
        process.stdout.write('\n'); // end the prompt's line
        return line === PEER_LEFT ? 'peer left' : 'stdin closed';
      }
      peer.to.write(`${line}\n`);
    } else {
      const line = await fromPeer();
      if (line === undefined) return 'peer left';
      process.stdout.write(`reply: ${line}\n`);
    }
  }
}
