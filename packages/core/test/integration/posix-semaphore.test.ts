// PosixSemaphore against the real kernel: name rules, open flags, post / tryWait / wait,
// timeouts, the cancel rule, close, unlink.
import { existsSync } from 'node:fs';

import { PosixSemaphore } from '@rxipc/core';
import { describe, expect, it } from 'vitest';

import { waitUntil } from '../../../../test/support/ipc.js';
import { useSemaphores } from '../../../../test/support/sem.js';

const sems = useSemaphores();

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('PosixSemaphore', () => {
  it('name rules are checked before any syscall', () => {
    for (const bad of ['x', '//x', '/a/b', '/', '/.', '/..', `/${'n'.repeat(252)}`, '/a\0b']) {
      expect(() => PosixSemaphore.open(bad, { create: true }), bad).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_/) }));
    }
    expect(() => PosixSemaphore.open(1 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => PosixSemaphore.unlink('nope')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it('creates (in /dev/shm as sem.NAME), posts, takes, and opening again does not re-initialise', async () => {
    const name = sems.name();
    const a = PosixSemaphore.open(name, { create: true, exclusive: true, initial: 2 });
    expect(existsSync(`/dev/shm/sem.${name.slice(1)}`)).toBe(true);
    expect(a.value()).toBe(2);
    expect(a.tryWait()).toBe(true);
    const b = PosixSemaphore.open(name, { create: true, initial: 9 });
    expect(b.value()).toBe(1);
    await b.wait();
    expect(a.tryWait()).toBe(false);
    a.post();
    expect(b.value()).toBe(1);
    expect(() => PosixSemaphore.open(name, { create: true, exclusive: true })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    await a.close();
    await b.close();
    expect(() => a.post()).toThrow(expect.objectContaining({ code: 'ERR_RXIPC_CLOSED' }));
    PosixSemaphore.unlink(name);
    expect(existsSync(`/dev/shm/sem.${name.slice(1)}`)).toBe(false);
    expect(() => PosixSemaphore.open(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('a wait is woken by a post, times out with ETIMEDOUT, and aborts with AbortError holding nothing', async () => {
    const s = PosixSemaphore.open(sems.name(), { create: true });
    const woken = s.wait();
    setTimeout(() => s.post(), 20);
    await woken;
    const start = performance.now();
    expect(await code(s.wait({ timeout: 200 }))).toBe('ETIMEDOUT');
    expect(performance.now() - start).toBeGreaterThanOrEqual(180);
    const ac = new AbortController();
    const p = code(s.wait({ signal: ac.signal }));
    setTimeout(() => ac.abort(), 10);
    expect(await p).toBe('ABORT_ERR');
    expect(s.value()).toBe(0);
    await s.close();
  });

  it('a post that races with the abort is given back: the value is 1 unless the wait resolved', async () => {
    const s = PosixSemaphore.open(sems.name(), { create: true });
    for (let i = 0; i < 30; i++) {
      while (s.tryWait());
      const ac = new AbortController();
      let resolved = false;
      const p = s.wait({ signal: ac.signal }).then(
        () => (resolved = true),
        () => {},
      );
      await new Promise((r) => setTimeout(r, 2));
      s.post();
      ac.abort();
      await p;
      expect(s.value()).toBe(resolved ? 0 : 1);
    }
    await s.close();
  });

  it('close() ends a pending wait with ERR_RXIPC_CLOSED', async () => {
    const s = PosixSemaphore.open(sems.name(), { create: true });
    const p = code(s.wait());
    await waitUntil(() => true, 'start');
    await s.close();
    expect(await p).toBe('ERR_RXIPC_CLOSED');
  });
});
