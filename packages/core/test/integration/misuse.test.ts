// Misuse of core's public constructors and functions: a coded TypeError / RangeError at the
// call (synchronous API) or a rejection (promise API), never a bare TypeError from inside.
import { createPipe, Fifo, isSystemError, PipeReadable, PipeWritable, type FdStreamOptions } from '@rxipc/core';
import { systemError } from '@rxipc/core/internal';
import { native, systemError as nativeSystemError } from '@rxipc/native';
import { describe, expect, it } from 'vitest';

const code = (c: string, name?: string) => expect.objectContaining({ code: c, ...(name ? { name } : {}) });
const argType = code('ERR_INVALID_ARG_TYPE', 'TypeError');

describe('misuse of the core API', () => {
  it('new PipeReadable / new PipeWritable check fd and options before touching the fd', () => {
    const { readable, writable } = createPipe();
    try {
      for (const Ctor of [PipeReadable, PipeWritable]) {
        const make = (fd: unknown, opts?: unknown) => new Ctor(fd as number, opts as FdStreamOptions);
        expect(() => make(readable.fd, null)).toThrow(argType);
        expect(() => make(readable.fd, 5)).toThrow(argType);
        expect(() => make(readable.fd, { packet: 'yes' })).toThrow(argType);
        expect(() => make(readable.fd, { highWaterMark: -1 })).toThrow(code('ERR_OUT_OF_RANGE', 'RangeError'));
        expect(() => make('3')).toThrow(argType);
        expect(() => make(-1)).toThrow(code('ERR_OUT_OF_RANGE', 'RangeError'));
        expect(() => make(1.5)).toThrow(code('ERR_OUT_OF_RANGE', 'RangeError'));
      }
    } finally {
      readable.destroy();
      writable.destroy();
    }
  });

  it('PipeWritable.write of a view over a detached ArrayBuffer writes nothing instead of throwing an uncoded TypeError', async () => {
    const { readable, writable } = createPipe();
    try {
      const ab = new ArrayBuffer(8);
      const view = new Uint8Array(ab);
      structuredClone(ab, { transfer: [ab] });
      expect(() => writable.write(view)).not.toThrow();
      writable.end('z');
      const chunks: Buffer[] = [];
      for await (const c of readable) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('z');
    } finally {
      readable.destroy();
      writable.destroy();
    }
  });

  it('Fifo: bad arguments of the promise-returning opens reject, never throw', async () => {
    for (const open of [Fifo.openReadable, Fifo.openWritable]) {
      let p: Promise<unknown> | undefined;
      expect(() => (p = open(5 as unknown as string))).not.toThrow();
      await expect(p).rejects.toEqual(argType);
      expect(() => (p = open('/tmp/x', null as never))).not.toThrow();
      await expect(p).rejects.toEqual(argType);
    }
  });

  it('system errors have one builder: the one the addon calls, re-exported by core', () => {
    expect(systemError).toBe(nativeSystemError);
    for (let errno = 1; errno <= 300; errno++) {
      const fromAddon = native.testing.makeSystemError(errno, 'msgrcv', '/p');
      const fromJs = systemError(errno, 'msgrcv', '/p');
      expect({ ...fromJs, message: fromJs.message }).toEqual({ ...fromAddon, message: fromAddon.message });
      expect(isSystemError(fromJs, fromAddon.code)).toBe(true);
    }
    // A real kernel failure, thrown from C++, has the same face.
    let thrown: unknown;
    try {
      native.unlink('/nonexistent-rxipc-misuse-test');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toEqual(systemError(2, 'unlink', '/nonexistent-rxipc-misuse-test'));
    expect(thrown).toMatchObject({ code: 'ENOENT', errno: 2, syscall: 'unlink', path: '/nonexistent-rxipc-misuse-test' });
    expect((thrown as Error).message).toBe("ENOENT: no such file or directory, unlink '/nonexistent-rxipc-misuse-test'");
  });
});
