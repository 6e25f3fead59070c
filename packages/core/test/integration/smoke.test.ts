import { describe, expect, it } from 'vitest';
import { createPipe, MessageQueue, IPC_PRIVATE } from '@rxipc/core';

describe('smoke', () => {
  it('pipe round trip', async () => {
    const { readable, writable } = createPipe();
    const chunks: Buffer[] = [];
    readable.on('data', (c) => chunks.push(c));
    const ended = new Promise((r) => readable.on('end', r));
    writable.end('hello');
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe('hello');
  });
  it('queue round trip', async () => {
    const q = MessageQueue.open(IPC_PRIVATE, { create: true });
    try {
      await q.send(5, 'x');
      const p = q.receive({ type: 7 });
      setTimeout(() => q.trySend(7, 'y'), 10);
      expect((await p).data.toString()).toBe('y');
      const s = q.createReadStream();
      const got = [];
      for await (const m of s) { got.push(m); if (got.length === 1) break; }
      expect(got[0].type).toBe(5);
    } finally { q.remove(); }
  });
});
