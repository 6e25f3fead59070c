// Experiment: msgq round trip with one side rxipc and the other C, same CPU; context switches per RTT.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MessageQueue, IPC_PRIVATE } from '@rxipc/core';
import { messages } from '@rxipc/rx';
const CBIN = new URL('../out/bin/', import.meta.url).pathname;
const cpu = process.argv[2] ?? '0';
const csw = (pid = 'self') => { let t = 0; for (const task of ['']) { const st = readFileSync(`/proc/${pid}/status`, 'utf8'); t += +/\nvoluntary_ctxt_switches:\s*(\d+)/.exec(st)[1] + +/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(st)[1]; } return t; };
// all threads of a process
import { readdirSync } from 'node:fs';
const cswAll = (pid = process.pid) => readdirSync(`/proc/${pid}/task`).reduce((t, tid) => { const st = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'); return t + +/\nvoluntary_ctxt_switches:\s*(\d+)/.exec(st)[1] + +/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(st)[1]; }, 0);
async function rxPingCPong() {
  const q = MessageQueue.open(IPC_PRIVATE, { create: true });
  const c = spawn('chrt', ['-o', '0', 'taskset', '-c', cpu, CBIN + 'msgqbench', 'pong', '-q', String(q.id)], { stdio: 'inherit' });
  const ping = Buffer.alloc(64, 'p'); const v = []; let t0 = 0, begin = -1, c0 = 0, n0 = 0;
  await new Promise((resolve) => {
    const sub = messages(q, { type: 2 }).subscribe(() => {
      const t1 = performance.now();
      if (begin < 0) begin = t1;
      if (t1 - begin > 200) { v.push((t1 - t0) * 1000); if (!c0) { c0 = cswAll(); n0 = v.length; } }
      if (t1 - begin > 1200) { const c1 = cswAll(); console.log(`  node-side csw per RTT ${((c1 - c0) / (v.length - n0)).toFixed(2)}`); sub.unsubscribe(); q.trySend(1, Buffer.alloc(0)); resolve(); return; }
      t0 = performance.now(); q.trySend(1, ping);
    });
    t0 = performance.now(); q.trySend(1, ping);
  });
  await new Promise((r) => c.on('close', r)); q.remove();
  v.sort((a, b) => a - b); return `p50 ${v[v.length >> 1].toFixed(2)} µs p99 ${v[Math.floor(v.length * 0.99)].toFixed(2)}`;
}
async function cPingRxPong() {
  const q = MessageQueue.open(IPC_PRIVATE, { create: true });
  // The C pinger can exit before the waiter thread has delivered its zero-length stop ping:
  // the queue is removed only once this side has seen that ping (else msgrcv fails with EIDRM).
  let sub;
  const ponged = new Promise((resolve, reject) => {
    sub = messages(q, { type: 1 }).subscribe({ next: (m) => { if (m.data.length === 0) { sub.unsubscribe(); resolve(); return; } q.trySend(2, m.data); }, error: reject });
  });
  const c = spawn('chrt', ['-o', '0', 'taskset', '-c', cpu, CBIN + 'msgqbench', 'ping', '-q', String(q.id), '-s', '64', '-t', '1.2', '-w', '0.2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let so = ''; c.stdout.on('data', (d) => (so += d));
  const c0 = cswAll(); await new Promise((r) => c.on('close', r)); const c1 = cswAll();
  await ponged; q.remove();
  const j = JSON.parse(so); console.log(`  node-side csw per RTT ${((c1 - c0) / j.n).toFixed(2)} (incl. warm-up)`);
  return `p50 ${j.p50.toFixed(2)} µs p99 ${j.p99.toFixed(2)}`;
}
async function cc() {
  const q = MessageQueue.open(IPC_PRIVATE, { create: true });
  const c = spawn('chrt', ['-o', '0', CBIN + 'msgqbench', 'pair-lat', '-q', String(q.id), '-s', '64', '-t', '1.2', '-w', '0.2', '-a', `0,${cpu}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let so = ''; c.stdout.on('data', (d) => (so += d)); await new Promise((r) => c.on('close', r)); q.remove();
  const j = JSON.parse(so); return `p50 ${j.p50.toFixed(2)} µs p99 ${j.p99.toFixed(2)}`;
}
for (let i = 0; i < 2; i++) {
  console.log('C <-> C          ', await cc());
  console.log('rx ping, C pong  ', await rxPingCPong());
  console.log('C ping, rx pong  ', await cPingRxPong());
}
