// rx over sockets: datagrams() with sender address and credentials, fromSocket / toSocket
// round trips through a seqpacket pair, teardown closes the socket, misuse throws at the call.
import { closeSync, readSync, writeSync } from 'node:fs';

import { from, firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { createDatagramSocket, createPipe, socketPair } from '@rxipc/core';
import { datagrams, fromSocket, toSocket } from '@rxipc/rx';

import { countFds } from '../../../../test/support/fs.js';

const abstract = (tag: string) => `\0rxipc-rx-${process.pid}-${tag}-${Date.now()}`;

describe('datagrams()', () => {
  it('emits each datagram with its sender address and credentials; unsubscribing closes the socket', async () => {
    const fds = countFds();
    const name = abstract('dg');
    const server = createDatagramSocket({ bind: name });
    const clientName = abstract('client');
    const client = createDatagramSocket({ bind: clientName });
    const got = firstValueFrom(datagrams(server).pipe(take(2), toArray()));
    await client.send('one', { to: name });
    await client.send('two', { to: name });
    const msgs = await got;
    expect(msgs.map((m) => m.data.toString())).toEqual(['one', 'two']);
    expect(msgs[0]!.from).toBe(clientName);
    expect(msgs[0]!.credentials!.pid).toBe(process.pid);
    expect(server.destroyed).toBe(true);
    client.close();
    expect(countFds()).toBe(fds);
  });

  it('fds are the subscriber’s to take inside next; the ones left are closed', async () => {
    const [a, b] = socketPair({ type: 'dgram' });
    const p = createPipe();
    const fds = countFds();
    const taken = new Promise<number[]>((resolve) => {
      const sub = datagrams(b).subscribe((msg) => {
        resolve(msg.takeFds());
        sub.unsubscribe();
      });
    });
    a.write({ data: 'two fds', fds: [p.writable.fd, p.readable.fd] });
    const [w, r] = await taken;
    writeSync(w!, 'ok');
    const buf = Buffer.alloc(2);
    readSync(p.readable.fd, buf, 0, 2, null);
    expect(buf.toString()).toBe('ok');
    closeSync(w!);
    closeSync(r!);
    expect(countFds()).toBe(fds - 1); // b closed by the unsubscribe
    a.destroy();
    p[Symbol.dispose]();
  });

  it('misuse throws at the call', () => {
    expect(() => datagrams({} as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => fromSocket(null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => toSocket(1 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('fromSocket / toSocket', () => {
  it('seqpacket: every value one message, in order, 0 bytes too', async () => {
    const [a, b] = socketPair({ type: 'seqpacket' });
    const values = ['a', '', 'bc', Buffer.alloc(70_000, 1)];
    const received = firstValueFrom(fromSocket(b).pipe(take(values.length), toArray()));
    await lastValueFrom(from(values).pipe(toSocket(a)));
    const msgs = await received;
    expect(msgs.map((m) => m.data.length)).toEqual([1, 0, 2, 70_000]);
    expect(a.writableEnded).toBe(true);
    a.destroy();
  });

  it('stream: bytes', async () => {
    const [a, b] = socketPair({ type: 'stream' });
    const received = lastValueFrom(fromSocket(b).pipe(toArray()));
    a.resume();
    await lastValueFrom(from(['he', 'llo']).pipe(toSocket(a)));
    expect(Buffer.concat(await received).toString()).toBe('hello');
    a.destroy();
  });
});
