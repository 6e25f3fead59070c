// Experiment: C writer -> one reader variant in THIS (fresh) process; pin it yourself:
//   taskset -c 0 node experiments/pipe-reader.mjs VARIANT [peerCpu] [seconds]
// VARIANT: rxipc (createPipe()'s PipeReadable), socket (new net.Socket({ fd }) on the same
// pipe: a fresh 64 KiB buffer per read, what PipeReadable did before read slabs), static
// (net.Socket onread with one reused buffer, no stream), ringNk (the stream path of rxipc,
// push() of a view per read, into a pre-touched ring of N KiB made of page-aligned slabs and
// never freed: NOT a valid reader, it shows what the kernel's copy costs when it lands in
// memory last written N KiB earlier; rxipc's chunks cycle through ~32 MiB, one V8
// young-generation budget). Prints one JSON line: MB/s, CPU us per read (user + system),
// minor faults per read over the whole window and over its second half, GCs, and for rxipc
// the read slabs alive / kept / reused at the end.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { createPipe } from '@rxipc/core';
import { native } from '@rxipc/native';

const [variant = 'rxipc', cpu = '0', secsArg = '1'] = process.argv.slice(2);
const secs = Number(secsArg), warm = 0.2;
const CBIN = new URL('../out/bin/pipebench', import.meta.url).pathname;
const minflt = () => +readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7];
let gcs = 0;
new PerformanceObserver((l) => (gcs += l.getEntries().length)).observe({ entryTypes: ['gc'] });

const { readable, writable } = createPipe();
const child = spawn('taskset', ['-c', cpu, CBIN, 'write', '-f', '3', '-s', '65536', '-t', String(secs + warm)], { stdio: ['ignore', 'ignore', 'inherit', writable.fd] });
const childClosed = new Promise((r) => child.on('close', r));
writable.destroy();

let first = -1, start = 0, bytes = 0, reads = 0, opened = false, f0 = 0, g0 = 0, c0, fHalf = -1, readsHalf = 0;
const on = (n) => {
  if (opened) {
    bytes += n; reads++;
    if (fHalf < 0 && (reads & 255) === 0 && performance.now() - start >= secs * 500) { fHalf = minflt(); readsHalf = reads; }
    return;
  }
  const t = performance.now();
  if (first < 0) { first = t; return; }
  if (t - first >= warm * 1000) { opened = true; start = t; f0 = minflt(); g0 = gcs; c0 = process.cpuUsage(); }
};
const done = () => {
  const t = performance.now(), f1 = minflt(), c = process.cpuUsage(c0);
  childClosed.then(() => {
    const out = {
      variant, cpu, MBps: Math.round(bytes / (t - start) / 1000), reads,
      usPerRead: +((c.user + c.system) / reads).toFixed(2), sysPerRead: +(c.system / reads).toFixed(2),
      faultsPerRead: +((f1 - f0) / reads).toFixed(3), faultsPerRead2ndHalf: +((f1 - fHalf) / (reads - readsHalf)).toFixed(3), gcs: gcs - g0,
    };
    if (variant === 'rxipc') out.slabs = native.testing.readSlabStats();
    console.log(JSON.stringify(out));
  });
};
const ringMatch = /^ring(\d+)k$/.exec(variant);
if (ringMatch) {
  // Built of read slabs: page-aligned (a window 16 bytes past a cache line makes the kernel's
  // copy ~3x slower on this CPU, see read-align.c), pre-touched, never released.
  const slabs = Array.from({ length: Math.max(1, (Number(ringMatch[1]) * 1024) / native.constants.READ_SLAB_SIZE) }, () => Buffer.from(native.readSlab()).fill(1));
  const ringBytes = Number(ringMatch[1]) * 1024;
  let slab = 0;
  let off = 0;
  const ring = { get length() { return Math.min(ringBytes, native.constants.READ_SLAB_SIZE); }, subarray: (a, b) => slabs[slab].subarray(a, b) };
  const nextSlab = () => { slab = (slab + 1) % slabs.length; };
  const s = new Socket({ fd: readable.fd, readable: true, writable: false, onread: {
    buffer: () => { if (ring.length - off < 65536) { off = 0; nextSlab(); } return ring.subarray(off, off + 65536); },
    callback(n) { const c = ring.subarray(off, off + n); off += n; return this.push(c); },
  } });
  s.on('data', (b) => on(b.length));
  s.on('end', done);
} else if (variant === 'static') {
  const s = new Socket({ fd: readable.fd, readable: true, writable: false, onread: { buffer: Buffer.allocUnsafe(65536), callback: (n) => on(n) } });
  s.on('end', done);
} else {
  const r = variant === 'socket' ? new Socket({ fd: readable.fd, readable: true, writable: false }) : readable;
  r.on('data', (b) => on(b.length));
  r.on('end', done);
}
