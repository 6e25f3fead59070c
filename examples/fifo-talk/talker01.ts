// talker01: creates the FIFOs fifo01 and fifo02, then chats with talker02 through them
// (it writes fifo01 and reads fifo02). TypeScript port of talker01.c.
//
// Differences from the C version, on purpose:
//   - the FIFOs get mode 0600 (the C used 0777: anyone could read or inject messages);
//   - messages are lines ('\n'-framed), not strlen+1 bytes with a NUL that the reader's
//     read() could cut or glue to the next message;
//   - Ctrl-D, or the peer leaving, ends the chat cleanly instead of looping forever;
//   - the FIFOs are removed on exit, on error, and on Ctrl-C (SIGINT), SIGTERM or SIGHUP;
//   - an fifo01/fifo02 that already exists gets a clear message and is left alone.
//
// Run: node examples/dist/fifo-talk/talker01.js [--dir DIR]
//   or npm run example fifo-talk -- talker01 [--dir DIR]
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Fifo, isSystemError } from '@rxipc/core';

import { converse, FIFO01, FIFO02, parseDir, status } from './talk.js';

export async function talker01(args: string[]): Promise<number> {
  const dir = parseDir('talker01', args);
  const fifos: Fifo[] = [];
  const removeFifos = () => fifos.forEach((fifo) => fifo.close()); // removeOnClose: unlinks

  // Installed before the first FIFO exists: from then on, every way out removes them
  // (Ctrl-C, kill, a closed terminal), with the exit status of the signal (128 + number).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      removeFifos();
      process.exit(128 + constants.signals[signal]);
    });
  }

  try {
    for (const name of [FIFO01, FIFO02]) {
      const path = join(dir, name);
      try {
        fifos.push(Fifo.create(path, { mode: 0o600, removeOnClose: true }));
      } catch (err) {
        if (!isSystemError(err, 'EEXIST')) throw err;
        // Not ours, so not ours to remove: another talker01 may be using it.
        status('talker01', `${path} already exists: is another talker01 running in ${dir}? If not, remove it (rm ${path}).`);
        return 1;
      }
    }
    status('talker01', `waiting for talker02 in ${dir}`);
    const to = await fifos[0]!.openWritable(); // resolves when talker02 opens fifo01 to read
    const from = await fifos[1]!.openReadable(); // ... and fifo02 to write
    status('talker01', 'talker02 is here; type a line (Ctrl-D to stop)');

    const why = await converse({ from, to }, true);
    status('talker01', why === 'peer left' ? 'talker02 left' : 'bye');
    await new Promise<void>((done) => to.end(() => done())); // talker02 sees end-of-file and stops too
    from.destroy();
    return 0;
  } catch (err) {
    status('talker01', (err as Error).message);
    return 1;
  } finally {
    removeFifos();
  }
}

// Run when executed as a program (not when main.ts imports it).
if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(await talker01(process.argv.slice(2)));
