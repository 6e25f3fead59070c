// System errors have one builder, lib/errors.ts `systemError`, which the loader hands to the
// addon once per environment: an error thrown by C++ in the main thread or in a worker is the
// one that function builds, and a worker's exit leaves the main thread's factory in place.
import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { native, systemError } from '@rxipc/native';

const MISSING = '/nonexistent-rxipc-error-factory';

function thrown(fn: () => unknown): Error & Record<string, unknown> {
  try {
    fn();
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a throw');
}

// Loads the built package (dist) in the worker: the loader installs that environment's factory.
const WORKER = `
  const { parentPort } = require('node:worker_threads');
  import(${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)}).then(({ native }) => {
    try { native.unlink(${JSON.stringify(MISSING)}); } catch (err) {
      parentPort.postMessage({ message: err.message, code: err.code, errno: err.errno, syscall: err.syscall, path: err.path });
    }
  });
`;

describe('the system error factory', () => {
  it('builds what C++ throws: same fields and message as systemError()', () => {
    const err = thrown(() => native.unlink(MISSING));
    const expected = systemError(2, 'unlink', MISSING);
    expect(err).toEqual(expected);
    expect({ ...err }).toEqual({ ...expected });
    expect(err.message).toBe(`ENOENT: no such file or directory, unlink '${MISSING}'`);
  });

  it('is installed per environment: a worker gets the same face, and its exit leaves the main thread’s factory working', async () => {
    const worker = new Worker(WORKER, { eval: true });
    const got = await new Promise<Record<string, unknown>>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(got).toMatchObject({ message: `ENOENT: no such file or directory, unlink '${MISSING}'`, code: 'ENOENT', errno: 2, syscall: 'unlink', path: MISSING });
    const err = thrown(() => native.unlink(MISSING));
    expect(err.message).toBe(`ENOENT: no such file or directory, unlink '${MISSING}'`);
  });

  it('names numbers without an errno UNKNOWN, with libc’s description', () => {
    expect(systemError(4000, 'open')).toMatchObject({ code: 'UNKNOWN', errno: 4000, message: 'UNKNOWN: unknown error 4000, open' });
    expect(systemError(42, 'msgrcv')).toMatchObject({ code: 'ENOMSG', message: 'ENOMSG: no message of desired type, msgrcv' });
    expect(systemError(2, 'open')).not.toHaveProperty('path');
  });
});
