// Experiment: how many read slabs are alive at once (so how much memory a reader cycles
// through) with and without one small V8 ArrayBuffer per slab (read-slabs.ts `newSlab`).
//   taskset -c 0 node experiments/slab-gc.mjs nudge|plain [seconds]
// A C writer fills a pipe; a net.Socket with onread reads into 256 KiB slabs from
// native.readSlab() the way PipeReadable does. V8 starts a young-generation GC for
// ArrayBuffer memory (every 32 MiB) only from its own ArrayBuffer allocations; without the
// nudge, chunks wait for the external-memory limit. Prints the peak of live slabs and the GCs.
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { createPipe } from '@rxipc/core';
import { native } from '@rxipc/native';

const [mode = 'nudge', secs = '1'] = process.argv.slice(2);
const CBIN = new URL('../out/bin/pipebench', import.meta.url).pathname;
const SLAB = native.constants.READ_SLAB_SIZE;
const gcs = { minor: 0, major: 0 };
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) e.detail?.kind === 1 ? gcs.minor++ : gcs.major++;
}).observe({ entryTypes: ['gc'] });

const { readable, writable } = createPipe();
const child = spawn(CBIN, ['write', '-f', '3', '-s', '65536', '-t', secs], { stdio: ['ignore', 'ignore', 'inherit', writable.fd] });
const closed = new Promise((r) => child.on('close', r));
writable.destroy();
native.readSlabRetain(256 << 20);
let peak = 0;
let slab;
let off = SLAB;
const next = () => {
  if (SLAB - off < 65536) {
    if (mode === 'nudge') new ArrayBuffer(8);
    slab = native.readSlab();
    off = 0;
    peak = Math.max(peak, native.testing.readSlabStats().live);
  }
  return new Uint8Array(slab, off, 65536);
};
let bytes = 0;
const s = new Socket({
  fd: readable.fd, readable: true, writable: false,
  onread: { buffer: next, callback(n) { const c = Buffer.from(slab, off, n); off += (n + 63) & -64; bytes += c.length; return this.push(c); } },
});
s.resume();
s.on('end', () => closed.then(() => console.log(JSON.stringify({ mode, MiB: bytes >> 20, peakLiveSlabs: peak, peakLiveMiB: (peak * SLAB) >> 20, gcs }))));
