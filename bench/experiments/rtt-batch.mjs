// Experiment: which thread's SCHED_BATCH policy removes the extra context switches? rx ping <-> C pong, CPU 0.
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { MessageQueue, IPC_PRIVATE } from '@rxipc/core';
import { messages } from '@rxipc/rx';
const CBIN = new URL('../out/bin/', import.meta.url).pathname;
const tids = () => new Set(readdirSync('/proc/self/task').map(Number));
const name = (t) => readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
async function once(mode) {
  const q = MessageQueue.open(IPC_PRIVATE, { create: true });
  const c = spawn('chrt', ['-o', '0', 'taskset', '-c', '0', CBIN + 'msgqbench', 'pong', '-q', String(q.id)], { stdio: 'inherit' });
  const before = tids();
  const ping = Buffer.alloc(64, 'p'); const v = []; let t0 = 0, begin = -1;
  const batch = (t) => execFileSync('chrt', ['-b', '-p', '0', String(t)]);
  const normal = (t) => execFileSync('chrt', ['-o', '-p', '0', String(t)]);
  await new Promise((resolve) => {
    const sub = messages(q, { type: 2 }).subscribe(() => {
      const t1 = performance.now();
      if (begin < 0) {
        begin = t1;
        // Waiter threads are pooled (maybe older than this run): the ones blocked in msgrcv (x86-64 syscall 70).
        const waiters = [...tids()].filter((t) => t !== process.pid && readFileSync(`/proc/self/task/${t}/syscall`, 'utf8').startsWith('70 '));
        if (mode === 'main') batch(process.pid);
        if (mode === 'waiter') waiters.forEach(batch);
        if (mode === 'both') { batch(process.pid); waiters.forEach(batch); }
        if (mode === 'none') {}
        if (mode === 'waiter' && !globalThis.printed) { globalThis.printed = 1; console.log('   waiter threads (in msgrcv):', waiters.join(' ')); }
      }
      if (t1 - begin > 200) v.push((t1 - t0) * 1000);
      if (t1 - begin > 1200) { sub.unsubscribe(); q.trySend(1, Buffer.alloc(0)); resolve(); return; }
      t0 = performance.now(); q.trySend(1, ping);
    });
    t0 = performance.now(); q.trySend(1, ping);
  });
  normal(process.pid);
  await new Promise((r) => c.on('close', r)); q.remove();
  v.sort((a, b) => a - b); return `p50 ${v[v.length >> 1].toFixed(2)} µs p99 ${v[Math.floor(v.length * 0.99)].toFixed(2)}`;
}
for (let i = 0; i < 2; i++) for (const m of ['none', 'main', 'waiter', 'both']) console.log(m.padEnd(8), await once(m));
