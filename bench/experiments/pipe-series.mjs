// Experiment: rate per 0.25 s of a fresh process's createPipe 'data' reader (same CPU), with page faults.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createPipe } from '@rxipc/core';
const CBIN = new URL('../out/bin/', import.meta.url).pathname;
const minflt = () => +readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7];
const { readable, writable } = createPipe();
const child = spawn('taskset', ['-c', '0', CBIN + 'pipebench', 'write', '-f', '3', '-s', '65536', '-t', process.argv[2] ?? '4'], { stdio: ['ignore', 'ignore', 'inherit', writable.fd] });
writable.destroy();
let bytes = 0, reads = 0, t0 = performance.now(), f0 = minflt(), out = [];
readable.on('data', (b) => {
  bytes += b.length; reads++;
  const t = performance.now();
  if (t - t0 >= 250) { const f = minflt(); out.push(`${Math.round(bytes / (t - t0) / 1000)}MB/s flt/read ${((f - f0) / reads).toFixed(2)} rss ${Math.round(process.memoryUsage().rss / 1e6)}MB`); bytes = 0; reads = 0; t0 = t; f0 = f; }
});
readable.on('end', () => console.log(out.join('\n')));
