// Real kernel failures carry the documented shape: code, positive errno, syscall, path.
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { native } from '@rxipc/native';

import { countFds, makeTempDir, type TempDir } from '../../../../test/support/fs.js';

const { O_RDONLY, O_WRONLY, O_CLOEXEC, AT_FDCWD } = native.constants;

let dir: TempDir;
beforeEach(() => {
  dir = makeTempDir('native-errors');
});
afterEach(() => dir.remove());

function thrown(fn: () => unknown): Error & Record<string, unknown> {
  try {
    fn();
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a throw');
}

describe('system errors from the kernel', () => {
  it('mkfifo on an existing path: EEXIST with the path', () => {
    const p = dir.unique('fifo');
    native.mkfifo(p, 0o600);
    const err = thrown(() => native.mkfifo(p, 0o600));
    expect(err).toMatchObject({ code: 'EEXIST', errno: 17, syscall: 'mkfifo', path: p });
    expect(err.message).toBe(`EEXIST: file exists, mkfifo '${p}'`);
    native.unlink(p);
  });

  it('mkfifoat relative to a directory fd: EEXIST names the relative path', () => {
    const dfd = openSync(dir.path, 'r');
    try {
      native.mkfifoat(dfd, 'x', 0o600);
      expect(thrown(() => native.mkfifoat(dfd, 'x', 0o600))).toMatchObject({ code: 'EEXIST', syscall: 'mkfifoat', path: 'x' });
      native.unlinkat(dfd, 'x', 0);
    } finally {
      closeSync(dfd);
    }
  });

  it('openNonBlocking for writing without a reader: ENXIO, and no fd is left', () => {
    const p = dir.unique('fifo');
    native.mkfifo(p, 0o600);
    const before = countFds();
    const err = thrown(() => native.openNonBlocking(p, O_WRONLY | O_CLOEXEC));
    expect(err).toMatchObject({ code: 'ENXIO', errno: 6, syscall: 'open', path: p });
    expect(err.message).toBe(`ENXIO: no such device or address, open '${p}'`);
    expect(countFds()).toBe(before);
  });

  it('unlink and unlinkat: ENOENT, EISDIR, ENOTDIR with their syscalls', () => {
    const missing = dir.file('missing');
    expect(thrown(() => native.unlink(missing))).toMatchObject({ code: 'ENOENT', errno: 2, syscall: 'unlink', path: missing });
    const sub = dir.file('sub');
    mkdirSync(sub);
    expect(thrown(() => native.unlinkat(AT_FDCWD, sub, 0))).toMatchObject({ code: 'EISDIR', syscall: 'unlinkat', path: sub });
    const file = dir.file('plain');
    writeFileSync(file, 'x');
    const ffd = openSync(file, 'r');
    try {
      // A regular file's fd is no directory fd.
      expect(thrown(() => native.mkfifoat(ffd, 'y', 0o600))).toMatchObject({ code: 'ENOTDIR', syscall: 'mkfifoat', path: 'y' });
    } finally {
      closeSync(ffd);
    }
  });

  it('fcntl on an fd that is not a pipe: EBADF, no path', () => {
    const file = dir.file('plain');
    writeFileSync(file, 'x');
    const fd = openSync(file, 'r');
    try {
      const err = thrown(() => native.getPipeSize(fd));
      expect(err).toMatchObject({ code: 'EBADF', errno: 9, syscall: 'fcntl' });
      expect(err).not.toHaveProperty('path');
    } finally {
      closeSync(fd);
    }
  });

  it('msgctl on a queue id that does not exist: EINVAL (read-only probe of a huge id)', () => {
    // MSG_STAT of an index far past msgmni never names anyone's queue.
    expect(thrown(() => native.msgctlStatIndex(0x7ffffff0, false))).toMatchObject({ code: 'EINVAL', syscall: 'msgctl' });
  });

  it('a waiting open that fails reports the errno through the dispatcher, not a throw', async () => {
    const { tasks } = await import('@rxipc/native');
    const missing = dir.file('nope');
    const result = await new Promise<{ errno: number; fd: unknown }>((resolve) => {
      tasks.start(
        () => native.openWait(missing, O_RDONLY | O_CLOEXEC),
        (final, errno, a) => final && resolve({ errno, fd: a }),
      );
    });
    expect(result.errno).toBe(2);
  });
});
