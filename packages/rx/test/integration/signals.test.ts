// rx signals(): a child sends SIGUSR1 N times with pauses and the Observable sees N; each
// subscription adds exactly its own listener and removes it; real-time signals carry the
// sender pid and sigqueue value.
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { signals, type SignalEvent } from '@rxipc/rx';

import { killChildren, spawnNode, waitUntil } from '../../../../test/support/fs.js';

const sender = fileURLToPath(new URL('../../../core/test/fixtures/signal-sender.mjs', import.meta.url));
afterEach(() => killChildren());

describe('signals()', () => {
  it('a child sends SIGUSR1 N times with pauses: the Observable sees N; no listener left after unsubscribe', async () => {
    const before = process.listenerCount('SIGUSR1');
    const got: SignalEvent[] = [];
    const sub = signals('SIGUSR1').subscribe((s) => got.push(s));
    expect(process.listenerCount('SIGUSR1')).toBe(before + 1);
    const c = spawnNode(sender, { args: [String(process.pid), 'SIGUSR1', '5', '40'] });
    await c.line(/^done/);
    await waitUntil(() => got.length === 5, { message: () => `5 signals (got ${got.length})` });
    expect(got.every((s) => s.signal === 'SIGUSR1' && s.signo === 10)).toBe(true);
    sub.unsubscribe();
    expect(process.listenerCount('SIGUSR1')).toBe(before);
  });

  it('two subscriptions, two listeners; each unsubscribe removes only its own (SIGINT default back at the end)', () => {
    const before = process.listenerCount('SIGINT');
    const s1 = signals('SIGINT', 'SIGHUP').subscribe();
    const s2 = signals('SIGINT').subscribe();
    expect(process.listenerCount('SIGINT')).toBe(before + 2);
    expect(process.listenerCount('SIGHUP')).toBeGreaterThanOrEqual(1);
    s1.unsubscribe();
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    s2.unsubscribe();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });

  it('real-time signals: sender pid and sigqueue values', async () => {
    const got: SignalEvent[] = [];
    const sub = signals('SIGRTMIN+3').subscribe((s) => got.push(s));
    const c = spawnNode(sender, { args: [String(process.pid), 'SIGRTMIN+3', '10', '0', 'queue'] });
    await c.line(/^done/);
    await waitUntil(() => got.length === 10, { message: () => `10 signals (got ${got.length})` });
    expect(got.map((s) => s.value!).sort((x, y) => x - y)).toEqual([...Array(10).keys()].map((i) => 1000 + i));
    expect(got.every((s) => s.pid === c.child.pid && s.queued)).toBe(true);
    sub.unsubscribe();
  });

  it('misuse throws at the call: unknown names, SIGKILL, the reserved SIGRTMIN+5, none', () => {
    expect(() => signals('SIGNOPE')).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }));
    expect(() => signals('SIGKILL')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => signals('SIGRTMIN+5')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => signals()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
