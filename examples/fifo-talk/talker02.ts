// talker02: opens the FIFOs that talker01 made and chats with it (it reads fifo01 and
// writes fifo02). TypeScript port of talker02.c; see talker01.ts for what changed.
//
// Run: node examples/dist/fifo-talk/talker02.js [--dir DIR]
//   or npm run example fifo-talk -- talker02 [--dir DIR]
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Fifo, isSystemError, type PipeReadable, type PipeWritable } from '@rxipc/core';

import { converse, FIFO01, FIFO02, parseDir, status } from './talk.js';

export async function talker02(args: string[]): Promise<number> {
  const dir = parseDir('talker02', args);
  let from: PipeReadable;
  let to: PipeWritable;
  try {
    // Same order as talker01 (fifo01, then fifo02), so that neither waits for the other.
    from = await Fifo.openReadable(join(dir, FIFO01));
    to = await Fifo.openWritable(join(dir, FIFO02));
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) status('talker02', `${err.path} does not exist: start talker01 first (with the same --dir)`);
    else status('talker02', (err as Error).message);
    return 1;
  }
  status('talker02', 'talker01 is here; wait for its line, then answer (Ctrl-D to stop)');

  const why = await converse({ from, to }, false);
  status('talker02', why === 'peer left' ? 'talker01 left' : 'bye');
  await new Promise<void>((done) => to.end(() => done())); // talker01 sees end-of-file and stops too
  from.destroy();
  return 0;
}

// Run when executed as a program (not when main.ts imports it).
if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(await talker02(process.argv.slice(2)));
