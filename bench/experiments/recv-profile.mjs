// Experiment: C sender -> rx messages() subscriber on CPU 0 for argv[3] s, message size argv[2] (for perf record).
import { spawn } from 'node:child_process';
import { MessageQueue, IPC_PRIVATE } from '@rxipc/core';
import { messages } from '@rxipc/rx';
const CBIN = new URL('../out/bin/', import.meta.url).pathname;
const size = Number(process.argv[2] ?? 8192), secs = Number(process.argv[3] ?? 3);
const q = MessageQueue.open(IPC_PRIVATE, { create: true });
let n = 0, batches = 0, last;
const t0 = performance.now();
const sub = messages(q).subscribe((m) => {
  if (m.data.buffer !== last) { last = m.data.buffer; batches++; }
  if (m.type === 2) { sub.unsubscribe(); const s = (performance.now() - t0) / 1000; console.log(`${Math.round(n / s / 1000)}k msg/s, avg batch ${(n / batches).toFixed(1)}`); q.remove(); return; }
  n++;
});
spawn('taskset', ['-c', '0', CBIN + 'msgqbench', 'send', '-q', String(q.id), '-s', String(size), '-t', String(secs)], { stdio: 'inherit' });
