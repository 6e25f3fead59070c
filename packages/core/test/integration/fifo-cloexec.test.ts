// Close-on-exec on every fd a Fifo opens, by every open path: a FIFO end that leaks into
// an unrelated child (any spawn, exec of a shell, ...) keeps the peer from ever seeing EOF
// or EPIPE. O_CLOEXEC is an fd flag that F_GETFL never shows: it is read from the flags:
// field of /proc/self/fdinfo/<fd> (octal, O_CLOEXEC = 02000000).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { Fifo, type PipeReadable, type PipeWritable } from '@rxipc/core';
import { native } from '@rxipc/native';

import {
  FDINFO_O_CLOEXEC,
  fdInfoFlags,
  makeTempDir,
  shortWaiterIdle,
  type TempDir,
  waitUntil,
  warmUpThreads,
} from '../../../../test/support/fs.js';

const busyWaiters = () => native.testing.waiterStats().threads - native.testing.waiterStats().idle;

let dir: TempDir;
let restoreIdle: () => void;
beforeAll(async () => {
  restoreIdle = shortWaiterIdle(20);
  await warmUpThreads();
});
afterAll(() => restoreIdle());
beforeEach(() => {
  dir = makeTempDir('cloexec');
});
afterEach(() => dir.remove());

type End = PipeReadable | PipeWritable;

/** Asserts every end is close-on-exec (with the fdinfo flags in the message), then closes them all. */
function expectCloexecAndClose(ends: Record<string, End>): void {
  try {
    for (const [what, end] of Object.entries(ends)) {
      const flags = fdInfoFlags(end.fd);
      expect(flags & FDINFO_O_CLOEXEC, `${what}: fd ${end.fd} flags 0${flags.toString(8)}`).toBe(FDINFO_O_CLOEXEC);
    }
  } finally {
    for (const end of Object.values(ends)) end.destroy();
  }
}

describe('every fd a Fifo opens is O_CLOEXEC', () => {
  it('openReadable that waits for a writer (waiter-thread open), and the writer that finds it there (non-blocking open)', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const reading = Fifo.openReadable(fifo.path);
    await waitUntil(() => busyWaiters() === 1, { message: 'the read open to wait on a waiter thread' });
    const writable = await Fifo.openWritable(fifo.path); // a reader is there: the non-blocking open
    const readable = await reading;
    expectCloexecAndClose({ 'waiting openReadable': readable, 'non-blocking openWritable': writable });
    fifo.close();
  });

  it('openWritable that waits for a reader (waiter-thread open), and the reader that completes it', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const writing = Fifo.openWritable(fifo.path); // no reader: ENXIO, then the waiting open
    await waitUntil(() => busyWaiters() === 1, { message: 'the write open to wait on a waiter thread' });
    const readable = await Fifo.openReadable(fifo.path); // a writer is there: returns at once
    const writable = await writing;
    expectCloexecAndClose({ 'waiting openWritable': writable, 'openReadable with a writer there': readable });
    fifo.close();
  });

  it('openReadable with keepOpen (O_RDWR, non-blocking), and a writer against it', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const readable = await Fifo.openReadable(fifo.path, { keepOpen: true });
    const writable = await Fifo.openWritable(fifo.path);
    expectCloexecAndClose({ 'keepOpen openReadable': readable, 'openWritable': writable });
    fifo.close();
  });

  it('the instance methods, by the same paths', async () => {
    const fifo = Fifo.create(dir.unique('fifo'), { removeOnClose: true });
    const writing = fifo.openWritable();
    await waitUntil(() => busyWaiters() === 1, { message: 'the write open to wait on a waiter thread' });
    const readable = await fifo.openReadable();
    const writable = await writing;
    const keep = await fifo.openReadable({ keepOpen: true });
    const second = await fifo.openWritable();
    const reading = fifo.openReadable(); // writers are there: returns at once
    expectCloexecAndClose({
      'fifo.openWritable (waiting)': writable,
      'fifo.openReadable': readable,
      'fifo.openReadable keepOpen': keep,
      'fifo.openWritable (non-blocking)': second,
      'fifo.openReadable (writers there)': await reading,
    });
    fifo.close();
  });
});
