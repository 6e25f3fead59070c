// kill / sigqueue with Node-style errors, and real-time signals received with the sender's
// pid and uid and the sigqueue value, from another process.
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { kill, RESERVED_SIGNAL, sigqueue, signalName, signalNumber, SIGRTMAX, SIGRTMIN, watchRealtimeSignal, type RealtimeSignal } from '@rxipc/core';

import { countFds, killChildren, spawnNode, waitUntil } from '../../../../test/support/fs.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
afterEach(() => killChildren());

describe('kill and sigqueue', () => {
  it('signal names and numbers, SIGRTMIN+n and SIGRTMAX-n', () => {
    expect(signalNumber('SIGUSR1')).toBe(10);
    expect(signalNumber('SIGRTMIN')).toBe(SIGRTMIN);
    expect(signalNumber('SIGRTMIN+3')).toBe(SIGRTMIN + 3);
    expect(signalNumber('SIGRTMAX-1')).toBe(SIGRTMAX - 1);
    expect(signalName(SIGRTMIN + 2)).toBe('SIGRTMIN+2');
    expect(signalName(10)).toBe('SIGUSR1');
    for (const bad of ['SIGNOPE', 'SIGRTMIN-1', 'SIGRTMAX+1', 'SIGRTMIN+99', 'usr1', '']) {
      expect(() => signalNumber(bad as 'SIGUSR1')).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_UNKNOWN_SIGNAL' }));
    }
  });

  it('errors: ESRCH for no such process, EPERM for init, TypeError for a bad name, never a group', () => {
    const dead = spawnNode(fixture('signal-sender.mjs'), { args: ['1', 'SIGUSR1', '0', '0'] });
    return dead.exited.then(() => {
      expect(() => kill(dead.child.pid!, 0)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'kill', errno: 3 }));
      expect(() => sigqueue(dead.child.pid!, 'SIGRTMIN+1', 1)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'sigqueue' }));
      if (process.getuid!() !== 0) expect(() => kill(1, 0)).toThrow(expect.objectContaining({ code: 'EPERM' }));
      expect(() => kill(process.pid, 'SIGBOGUS' as 'SIGUSR1')).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_UNKNOWN_SIGNAL' }));
      expect(() => kill(0, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => kill(-1, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => sigqueue(process.pid, 0, 2 ** 31)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      kill(process.pid, 0); // the existence probe
    });
  });
});

describe('watchRealtimeSignal', () => {
  it('refuses SIGRTMIN+5 (rxipc reserves it) and non-real-time signals', () => {
    expect(RESERVED_SIGNAL).toBe(SIGRTMIN + 5);
    expect(() => watchRealtimeSignal('SIGRTMIN+5', () => undefined)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('reserves') }));
    expect(() => watchRealtimeSignal('SIGUSR1', () => undefined)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('sigqueue values and the sender pid arrive intact, every one (none merged or lost)', async () => {
    const got: RealtimeSignal[] = [];
    const stop = watchRealtimeSignal('SIGRTMIN+1', (s) => got.push(s));
    const fds = countFds();
    const c = spawnNode(fixture('signal-sender.mjs'), { args: [String(process.pid), 'SIGRTMIN+1', '50', '0', 'queue'] });
    await c.line(/^done/);
    await waitUntil(() => got.length === 50, { message: () => `50 signals (got ${got.length})` });
    // Every one; the order of two that landed on different threads at once may swap.
    expect(got.map((s) => s.value).sort((x, y) => x - y)).toEqual([...Array(50).keys()].map((i) => 1000 + i));
    expect(got.every((s) => s.pid === c.child.pid && s.uid === process.getuid!() && s.queued && s.signal === 'SIGRTMIN+1')).toBe(true);
    stop();
    stop(); // idempotent
    await c.exited;
    // The self-pipe lives as long as the process (a handler in another thread may be about to
    // write to it); nothing else stays.
    await waitUntil(() => countFds() === fds, { message: () => `fds back to ${fds} (now ${countFds()})` });
  });

  it('kill() from this process: value 0, not queued; watches of one signal each see it', async () => {
    const a: RealtimeSignal[] = [];
    const b: RealtimeSignal[] = [];
    const stopA = watchRealtimeSignal(SIGRTMIN + 2, (s) => a.push(s));
    const stopB = watchRealtimeSignal('SIGRTMIN+2', (s) => b.push(s));
    kill(process.pid, 'SIGRTMIN+2');
    await waitUntil(() => a.length === 1 && b.length === 1, { message: 'both watches' });
    expect(a[0]).toMatchObject({ pid: process.pid, value: 0, queued: false, signo: SIGRTMIN + 2 });
    stopA();
    stopB();
  });
});
