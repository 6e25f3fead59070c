// Misuse of the rx API surfaces where DESIGN.md's rule says, always with an ERR_* code:
// creation functions and operator factories throw at the call for bad arguments; a
// promise-returning call (typed.send) rejects and never throws; runtime failures are error
// notifications. Each case here was a bare "x is not a function" or an uncoded error before.
import { Readable, Writable } from 'node:stream';

import { createPipe, type MessageQueue } from '@rxipc/core';
import { bytes, fromFifo, fromReadable, json, sendTo, toWritable, typedQueue, utf8 } from '@rxipc/rx';
import { lastValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { drain, useQueues } from '../../../../test/support/ipc.js';

const queues = useQueues();

const code = (c: string, name?: string) => expect.objectContaining({ code: c, ...(name ? { name } : {}) });
const argType = code('ERR_INVALID_ARG_TYPE', 'TypeError');

describe('misuse of the rx API', () => {
  it('sendTo, fromReadable, toWritable: an object of the wrong kind throws ERR_INVALID_ARG_TYPE at the call', () => {
    const fake = {} as unknown;
    expect(() => sendTo(fake as MessageQueue, { type: 1 })).toThrow(argType);
    expect(() => sendTo(fake as MessageQueue, { type: 1 })).toThrow(/"queue" argument must be an instance of MessageQueue/);
    expect(() => fromReadable(fake as Readable)).toThrow(argType);
    expect(() => fromReadable(null as unknown as Readable)).toThrow(argType);
    expect(() => toWritable(fake as Writable)).toThrow(argType);
    // Real streams are accepted, whatever their class.
    expect(() => fromReadable(Readable.from([]))).not.toThrow();
    expect(() => toWritable(new Writable({ write: (_c, _e, cb) => cb() }))).not.toThrow();
  });

  it('typedQueue: a non-queue, a missing or bad schema throw with a code at the call', () => {
    const q = queues.create();
    expect(() => typedQueue({} as MessageQueue, {})).toThrow(argType);
    expect(() => typedQueue(q, undefined as unknown as Record<string, never>)).toThrow(argType);
    expect(() => typedQueue(q, { a: null as never })).toThrow(code('ERR_INVALID_ARG_VALUE', 'TypeError'));
    expect(() => typedQueue(q, { a: { type: 1, codec: {} as never } })).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => typedQueue(q, { a: { type: 0, codec: utf8() } })).toThrow(code('ERR_OUT_OF_RANGE', 'RangeError'));
    expect(() => typedQueue(q, { a: { type: 1, codec: utf8() }, b: { type: 1, codec: utf8() } })).toThrow(
      code('ERR_INVALID_ARG_VALUE', 'RangeError'),
    );
  });

  it('typed queue: an unknown kind is a coded RangeError (thrown by sync calls, a rejection from send)', async () => {
    const q = queues.create();
    const typed = typedQueue(q, { a: { type: 1, codec: json<unknown>() } });
    const unknownKind = code('ERR_INVALID_ARG_VALUE', 'RangeError');
    for (const kind of ['nope', 'toString', '__proto__', 1, undefined]) {
      const k = kind as 'a';
      expect(() => typed.trySend(k, 1)).toThrow(unknownKind);
      expect(() => typed.messages(k)).toThrow(unknownKind);
      expect(() => typed.sendAll(k)).toThrow(unknownKind);
      let promise: Promise<void> | undefined;
      expect(() => (promise = typed.send(k, 1))).not.toThrow();
      await expect(promise).rejects.toEqual(unknownKind);
    }
  });

  it('typed queue: a value the codec cannot encode rejects (send), throws (trySend) or errors (sendAll) with ERR_RXIPC_ENCODE; nothing is sent', async () => {
    const q = queues.create();
    const typed = typedQueue(q, { a: { type: 1, codec: json<unknown>() } });
    const encode = code('ERR_RXIPC_ENCODE', 'TypeError');
    let promise: Promise<void> | undefined;
    expect(() => (promise = typed.send('a', 10n))).not.toThrow();
    await expect(promise).rejects.toEqual(encode);
    await expect(promise).rejects.toMatchObject({ kind: 'a', cause: expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }) });
    expect(() => typed.trySend('a', 10n)).toThrow(encode);
    await expect(lastValueFrom(of(10n).pipe(typed.sendAll('a')))).rejects.toEqual(encode);
    // A codec's own failure is the cause, with a code on top.
    const custom = typedQueue(q, { b: { type: 2, codec: { encode: () => { throw new Error('no'); }, decode: String } } });
    expect(() => custom.trySend('b', 'x')).toThrow(code('ERR_RXIPC_ENCODE'));
    // Bad send options reject too.
    await expect(typed.send('a', 1, null as never)).rejects.toEqual(argType);
    expect(drain(q)).toEqual([]);
  });

  it('codecs: values they cannot carry and data that is not bytes throw with a code', () => {
    expect(() => json().encode(10n)).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => json().encode(undefined)).toThrow(code('ERR_INVALID_ARG_VALUE'));
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => json().encode(cycle)).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => json().decode(Buffer.from('{'))).toThrow(code('ERR_INVALID_ARG_VALUE', 'SyntaxError'));
    expect(() => json().decode('{}' as unknown as Buffer)).toThrow(argType);
    expect(() => utf8().encode(5 as unknown as string)).toThrow(argType);
    expect(() => utf8().decode(null as unknown as Buffer)).toThrow(argType);
    expect(() => bytes().encode('x' as unknown as Buffer)).toThrow(argType);
    expect(() => bytes().decode(5 as unknown as Buffer)).toThrow(argType);
  });

  it('fromFifo: a bad path or options throw at the call, not at subscribe', () => {
    expect(() => fromFifo(5 as unknown as string)).toThrow(argType);
    expect(() => fromFifo('')).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => fromFifo('a\0b')).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => fromFifo('/tmp/x', null as never)).toThrow(argType);
    expect(() => fromFifo('/tmp/x', { keepOpen: 1 as unknown as boolean })).toThrow(argType);
    expect(() => fromFifo('/tmp/x', { timeout: -1 })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => fromFifo('/tmp/x', { highWaterMark: 0.5 })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => fromFifo('/tmp/x', { signal: AbortSignal.abort() } as never)).toThrow(code('ERR_INVALID_ARG_VALUE'));
  });

  it('fromReadable: a second subscription errors with a code', async () => {
    const { readable, writable } = createPipe();
    const obs = fromReadable(readable);
    const first = obs.subscribe();
    await expect(lastValueFrom(obs)).rejects.toEqual(code('ERR_RXIPC_ALREADY_SUBSCRIBED'));
    first.unsubscribe();
    writable.destroy();
  });
});
