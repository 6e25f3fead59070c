// rxipc watch shm: a live hex view of a shared memory segment through @rxipc/rx shmChanges.
import { SharedMemory } from '@rxipc/core';
import { shmChanges } from '@rxipc/rx';

import { keyHex, targetName, type Target } from './args.js';
import { context, existing } from './commands.js';
import { UsageError } from './errors.js';
import { hexdump, paint, useColour, type Out } from './output.js';
import { runUntilStopped } from './stop.js';

export interface WatchOptions {
  offset: number;
  /** Bytes to show; undefined: to the end of the segment, at most 1024. */
  length: number | undefined;
  interval: number;
  /** Stop after this many views (the first included). */
  count: number;
}

/**
 * Shows the region now, then again at each change seen by polling every `interval` ms. On a
 * terminal the view is redrawn in place with the bytes that changed since the last view in
 * inverse video (unless NO_COLOR); otherwise each view is printed after the last, headed by
 * how many bytes changed. Ctrl-C (SIGINT, SIGTERM, SIGHUP) stops it; the segment is only read
 * (attached read-only) and detached at the end.
 */
export async function watchShm(t: Target, o: WatchOptions, out: Out): Promise<number> {
  const shm = existing('shm', t, () => (t.id !== undefined ? SharedMemory.fromId(t.id, { readOnly: true }) : SharedMemory.open(t.key, { readOnly: true })));
  context.object = targetName(t);
  const size = shm.size;
  if (o.offset >= size) {
    await shm.close();
    throw new UsageError(`--offset ${o.offset} is past the end of the segment (${size} bytes)`);
  }
  const length = Math.min(o.length ?? 1024, size - o.offset);
  const tty = process.stdout.isTTY === true;
  const p = paint(useColour());
  const title = `shm id ${shm.id}${t.key !== undefined ? ` key ${keyHex(t.key)}` : ''}, ${size} bytes; bytes ${o.offset}..${o.offset + length - 1}, every ${o.interval} ms`;
  let last: Buffer | undefined;
  let views = 0;
  let failure: unknown;
  await runUntilStopped((stop) =>
    shmChanges(shm, { offset: o.offset, length, interval: o.interval }).subscribe({
      next: (bytes: Buffer) => {
        const before = last;
        const changed = (i: number) => before !== undefined && before[i] !== bytes[i];
        let n = 0;
        if (before) for (let i = 0; i < bytes.length; i++) if (before[i] !== bytes[i]) n++;
        const when = new Date().toISOString().slice(11, 23);
        const head = `${title}\n${when}  ${before ? `${n} byte${n === 1 ? '' : 's'} changed` : 'initial'}\n`;
        // Offsets in the dump are the segment's own.
        const dump = hexdump(bytes, '', changed, p).replace(/^([0-9a-f]{8})/gm, (h) => (Number.parseInt(h, 16) + o.offset).toString(16).padStart(8, '0'));
        out(tty ? `\x1b[H\x1b[2J${p.bold(head)}${dump}` : `${head}${dump}\n`);
        last = bytes;
        views++;
        if (views >= o.count) stop();
      },
      error: (e: unknown) => {
        failure = e;
        stop();
      },
    }),
  );
  await shm.close();
  if (failure !== undefined) throw failure;
  return views;
}
