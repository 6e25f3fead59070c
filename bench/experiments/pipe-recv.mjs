// Experiment: where does the Node pipe receive path lose against a C reader? (same CPU)
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { createPipe, setPipeCapacity } from '@rxipc/core';
const CBIN = new URL('../out/bin/', import.meta.url).pathname;
const cpu = process.argv[2] ?? '0';
const secs = 1.0, warm = 0.2;
// Minor page faults of this process so far.
const ctx = () => { const s = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); return [+s[7], 0]; };
function cWriter(fd) {
  return spawn('taskset', ['-c', cpu, CBIN + 'pipebench', 'write', '-f', '3', '-s', '65536', '-t', String(secs + warm)], { stdio: ['ignore', 'ignore', 'inherit', fd] });
}
function measure(make) {
  return new Promise((resolve) => {
    const { readable, writable, extra } = make();
    const child = cWriter(writable.fd ?? writable);
    if (writable.destroy) writable.destroy();
    let first = -1, start = 0, bytes = 0, reads = 0, opened = false, c0;
    const onChunk = (n) => {
      if (opened) { bytes += n; reads++; return; }
      const t = performance.now();
      if (first < 0) { first = t; return; }
      if (t - first >= warm * 1000) { opened = true; start = t; c0 = ctx(); }
    };
    const done = () => { const t = performance.now(); const c1 = ctx(); child.on('close', () => resolve({ MBps: Math.round(bytes / (t - start) / 1000), avg: Math.round(bytes / reads), minflt_per_read: ((c1[0] - c0[0]) / reads).toFixed(2) })); };
    extra(readable, onChunk, done);
  });
}
const variants = {
  'C pair': null,
  'rxipc createPipe data': () => ({ ...createPipe(), extra: (r, on, done) => { r.on('data', (b) => on(b.length)); r.on('end', done); } }),
  'rxipc createPipe cap 1MiB': () => { const p = createPipe(); setPipeCapacity(p.writable, 1 << 20); return { ...p, extra: (r, on, done) => { r.on('data', (b) => on(b.length)); r.on('end', done); } }; },
  // The read end's fd is wrapped a second time (the PipeReadable never reads: manualStart).
  'net.Socket onread static 64K': () => { const p = createPipe(); return { readable: null, writable: p.writable, extra: (_r, on, done) => { const buf = Buffer.allocUnsafe(65536); const s = new Socket({ fd: p.readable.fd, readable: true, writable: false, onread: { buffer: buf, callback: (n) => { on(n); } } }); s.on('end', done); } }; },
  'onread fresh 64K + push': () => { const p = createPipe(); return { readable: null, writable: p.writable, extra: (_r, on, done) => {
      let s; s = new Socket({ fd: p.readable.fd, readable: true, writable: false, onread: { buffer: () => Buffer.allocUnsafeSlow(65536), callback: (n, buf) => s.push(buf.subarray(0, n)) } });
      s.on('data', (b) => on(b.length)); s.on('end', done); } }; },
  'onread slab 1MiB + push': () => { const p = createPipe(); return { readable: null, writable: p.writable, extra: (_r, on, done) => {
      let slab = Buffer.allocUnsafeSlow(1 << 20), off = 0;
      const next = () => { if (slab.length - off < 65536) { slab = Buffer.allocUnsafeSlow(1 << 20); off = 0; } return slab.subarray(off, off + 65536); };
      let s; s = new Socket({ fd: p.readable.fd, readable: true, writable: false, onread: { buffer: next, callback: (n, buf) => { off += n; return s.push(buf.subarray(0, n)); } } });
      s.on('data', (b) => on(b.length)); s.on('end', done); } }; },
  'onread static + copy + push': () => { const p = createPipe(); return { readable: null, writable: p.writable, extra: (_r, on, done) => {
      const st = Buffer.allocUnsafe(65536);
      let s; s = new Socket({ fd: p.readable.fd, readable: true, writable: false, onread: { buffer: st, callback: (n, buf) => s.push(Buffer.from(buf.subarray(0, n))) } });
      s.on('data', (b) => on(b.length)); s.on('end', done); } }; },
};
const names = process.argv.slice(3).length ? process.argv.slice(3) : Object.keys(variants);
for (let round = 0; round < 3; round++) {
  for (const name of names) {
    if (name === 'C pair') {
      const r = spawnSync(CBIN + 'pipebench', ['pair-thr', '-k', 'pipe', '-s', '65536', '-t', String(secs + warm), '-w', String(warm), '-a', `0,${cpu}`]);
      const j = JSON.parse(r.stdout.toString());
      console.log(round, name.padEnd(30), Math.round(j.rate / 1e6), 'MB/s');
      continue;
    }
    const r = await measure(variants[name]);
    console.log(round, name.padEnd(30), r.MBps, 'MB/s', JSON.stringify(r));
  }
}
