// Experiment: CPU time per message of each side, sender variants -> C receiver, both on CPU 0.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MessageQueue, IPC_PRIVATE } from '@rxipc/core';
import { native } from '@rxipc/native';
const CBIN = new URL('../out/bin/', import.meta.url).pathname;
const size = 64, secs = 1.2;
const stat = (f) => Object.fromEntries(readFileSync(f, 'utf8').trim().split('\n').filter((l) => l && !l.startsWith('#')).map((l) => { const p = l.split(','); return [p[2], Number(p[0])]; }));
const self = () => { const s = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); const st = readFileSync('/proc/self/status', 'utf8'); return { cpu: (+s[11] + +s[12]) * 10, vcsw: +/\nvoluntary_ctxt_switches:\s*(\d+)/.exec(st)[1], ivcsw: +/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(st)[1] }; };
async function run(name, sender) {
  const q = MessageQueue.open(IPC_PRIVATE, { create: true });
  const out = `/tmp/perfstat-${process.pid}.txt`;
  const recv = spawn('taskset', ['-c', '0', CBIN + 'msgqbench', 'recv', '-q', String(q.id), '-w', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pstat = (pid) => { try { return pstat_(pid); } catch { return { cpu: NaN, csw: NaN }; } };
  const pstat_ = (pid) => { const s = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); const st = readFileSync(`/proc/${pid}/status`, 'utf8'); return { cpu: (+s[11] + +s[12]) * 10, csw: +/\nvoluntary_ctxt_switches:\s*(\d+)/.exec(st)[1] + +/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(st)[1] }; };
  let so = ''; recv.stdout.on('data', (d) => (so += d));
  const exit = new Promise((r) => recv.on('close', r));
  await new Promise((r) => setTimeout(r, 100));
  const a = self(); const ra = pstat(recv.pid); const t0 = performance.now();
  let n = 0;
  if (sender === 'C') {
    await new Promise((r) => spawn('sh', ['-c', `taskset -c 0 ${CBIN}msgqbench send -q ${q.id} -s ${size} -t ${secs}; cat /proc/$$/stat /proc/$$/status > ${out}.s`], { stdio: 'inherit' }).on('close', r));
  } else {
    n = await sender(q, Buffer.alloc(size, 'x'), performance.now() + secs * 1000);
  }
  const rb = pstat(recv.pid);
  const b = self(); const wall = performance.now() - t0;
  if (sender !== 'C') q.trySend(2, Buffer.alloc(0)) || (await q.send(2, Buffer.alloc(0)));
  await exit;
  const r = JSON.parse(so.trim().split('\n').pop()); const rs = { 'task-clock': rb.cpu - ra.cpu, 'context-switches': rb.csw - ra.csw };
  const msgs = r.units;
  const s = sender === 'C' ? { 'task-clock': NaN, 'context-switches': NaN } : { 'task-clock': b.cpu - a.cpu, 'context-switches': (b.vcsw - a.vcsw) + (b.ivcsw - a.ivcsw) };
  console.log(`${name.padEnd(26)} ${Math.round(msgs / (wall / 1000) / 1000)}k msg/s | sender ${(s['task-clock'] * 1e6 / msgs).toFixed(0)} ns/msg, ${(s['context-switches'] / msgs * 1000).toFixed(1)} csw/1k msgs (node main thread only) | receiver ${(rs['task-clock'] * 1e6 / msgs).toFixed(0)} ns/msg, ${(rs['context-switches'] / msgs * 1000).toFixed(1)} csw/1k`);
  q.remove();
}
const trySendLoop = async (q, buf, until) => { let n = 0; while (performance.now() < until) { for (let i = 0; i < 256; i++) { if (!q.trySend(1, buf)) await q.send(1, buf); n++; } } return n; };
const nativeLoop = async (q, buf, until) => { let n = 0; while (performance.now() < until) { for (let i = 0; i < 256; i++) { if (!native.msgsnd(q.id, 1, buf)) await q.send(1, buf); n++; } } return n; };
const spinLoop = async (q, buf, until) => { let n = 0; while (performance.now() < until) { for (let i = 0; i < 256; i++) { while (!native.msgsnd(q.id, 1, buf)) { } n++; } } return n; };
const corkLoop = async (q, buf, until) => { const ws = q.createWriteStream({ type: 1 }); let n = 0; while (performance.now() < until) { ws.cork(); let full = false; for (let i = 0; i < 256 && !full; i++) { full = !ws.write(buf); n++; } ws.uncork(); if (full || ws.writableNeedDrain) await new Promise((r) => ws.once('drain', r)); } await new Promise((r) => ws.end(r)); return n; };
for (let round = 0; round < 2; round++) {
  await run('write stream cork 256', corkLoop);
  await run('C send', 'C');
  await run('q.trySend + await send', trySendLoop);
  await run('native.msgsnd + await send', nativeLoop);
}
