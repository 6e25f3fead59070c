// Experiment: unix socket pairs in Node (rxipc MessageSocket for seqpacket/dgram, rxipc
// StreamSocket = net.Socket for stream) against the same kernel path driven by C.
//   node bench/experiments/socket-pairs.mjs [same|cross] [seconds]
// Run it pinned: `taskset -c 0 node ...` (the C peers are pinned to CPU 0 for `same`, 1 for `cross`).
// Read throughput: a C writer (sockbench write) floods one end; Node reads the other.
// Round trip: Node writes one message, a C echo (sockbench echo) sends it back; p50.
//
// One run on the shared 2-CPU dev machine (noisy: other builds were running), same CPU, 0.6 s:
// | placement same | C msg/s | rxipc msg/s | vs C | C rtt p50 µs | rxipc rtt p50 µs | rtt vs C |
// | seqpacket 64 B | 0.24M | 0.15M | 0.65 | 11.2 | 35.3 | 3.14 |
// | seqpacket 64 KiB | 26k | 16k | 0.61 | 27.5 | 80.5 | 2.93 |
// | dgram 64 B | 0.23M | 0.15M | 0.66 | 11.0 | 29.8 | 2.72 |
// | dgram 64 KiB | 35k | 20k | 0.58 | 26.9 | 97.4 | 3.62 |
// | stream 64 B | 0.25M | 0.33M | 1.30 | 11.2 | 19.6 | 1.74 |   (stream: C counts 64-byte sends, Node reads coalesce)
// | stream 64 KiB | 44k | 38k | 0.86 | 31.7 | 44.2 | 1.40 |
// Before recvmsg returned packed batches (one Array + Buffer per message), 64 B seqpacket was 0.25x C.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { socketPair } from '@rxipc/core';

const placement = process.argv[2] ?? 'same';
const secs = Number(process.argv[3] ?? 0.8);
const warm = 0.2;
const peerCpu = placement === 'same' ? '0' : '1';
const src = fileURLToPath(new URL('./sockbench.c', import.meta.url));
const bin = '/tmp/rxipc-sockbench';
const cc = spawnSync('cc', ['-O2', '-o', bin, src], { stdio: 'inherit' });
if (cc.status !== 0) process.exit(1);

const c = (...args) => Number(spawnSync('taskset', ['-c', peerCpu, bin, ...args], { encoding: 'utf8' }).stdout.split(' ')[0]);

function nodeRead(type, size) {
  return new Promise((resolve) => {
    const [mine, theirs] = socketPair({ type, highWaterMark: type === 'stream' ? 1 << 20 : 256 });
    const child = spawn('taskset', ['-c', peerCpu, bin, 'write', '3', String(size), String(secs + warm)], { stdio: ['ignore', 'inherit', 'inherit', theirs.fd] });
    theirs.destroy();
    let first = 0, start = 0, open = false, units = 0, end = 0;
    const unit = type === 'stream' ? (c) => c.length / size : () => 1;
    mine.on('data', (chunk) => {
      if (open) {
        const len = type === 'stream' ? chunk.length : chunk.data.length;
        if (len === 1) { end = performance.now(); mine.destroy(); return; }
        units += unit(chunk);
        return;
      }
      const t = performance.now();
      if (!first) first = t;
      else if (t - first >= warm * 1000) { open = true; start = t; }
    });
    const finish = () => {
      const t = (end || performance.now()) - start;
      child.once('close', () => resolve(units / (t / 1000)));
      if (!mine.destroyed) mine.destroy();
    };
    mine.once('end', finish);
    mine.once('close', finish);
  });
}

function nodeRtt(type, size) {
  return new Promise((resolve) => {
    const [mine, theirs] = socketPair({ type });
    const child = spawn('taskset', ['-c', peerCpu, bin, 'echo', '3'], { stdio: ['ignore', 'inherit', 'inherit', theirs.fd] });
    theirs.destroy();
    const payload = Buffer.alloc(size, 1);
    const lat = [];
    let sentAt = 0, got = 0;
    const t0 = performance.now();
    const send = () => { sentAt = performance.now(); got = 0; mine.write(payload); };
    mine.on('data', (chunk) => {
      got += type === 'stream' ? chunk.length : chunk.data.length;
      if (got < size) return;
      const now = performance.now();
      if (now - t0 >= warm * 500) lat.push((now - sentAt) * 1000);
      if (now - t0 < secs * 500 + warm * 500) send();
      else {
        mine.write(Buffer.from('E'));
        mine.end();
        child.once('close', () => { lat.sort((a, b) => a - b); resolve(lat[lat.length >> 1]); });
        mine.destroy();
      }
    });
    send();
  });
}

const fmt = (n) => (n >= 1e5 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : n.toFixed(1));
console.log(`| placement ${placement} | C msg/s | rxipc msg/s | vs C | C rtt p50 µs | rxipc rtt p50 µs | rtt vs C |`);
console.log('|---|---|---|---|---|---|---|');
for (const type of ['seqpacket', 'dgram', 'stream']) {
  for (const size of [64, 65536]) {
    if (type === 'dgram' && size === 65536) {
      // fine: a 64 KiB datagram is below the default socket buffer
    }
    const cT = c('pair', type, String(size), String(secs));
    const nT = await nodeRead(type, size);
    const cR = c('rtt', type, String(size), String(secs / 2));
    const nR = await nodeRtt(type, size);
    console.log(`| ${type} ${size === 64 ? '64 B' : '64 KiB'} | ${fmt(cT)} | ${fmt(nT)} | ${(nT / cT).toFixed(2)} | ${cR.toFixed(1)} | ${nR.toFixed(1)} | ${(nR / cR).toFixed(2)} |`);
  }
}
