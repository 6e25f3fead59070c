// Experiment: rx messages() pinger <-> C ponger on CPU 0 for argv[2] ms (used under perf sched / perf record).
import { spawn } from 'node:child_process';
import { MessageQueue, IPC_PRIVATE } from '@rxipc/core';
import { messages } from '@rxipc/rx';
const CBIN = new URL('../out/bin/', import.meta.url).pathname;
const q = MessageQueue.open(IPC_PRIVATE, { create: true });
const c = spawn('taskset', ['-c', '0', CBIN + 'msgqbench', 'pong', '-q', String(q.id)], { stdio: 'inherit' });
const ping = Buffer.alloc(64, 'p'); let n = 0; const end = performance.now() + Number(process.argv[2] ?? 1000);
const sub = messages(q, { type: 2 }).subscribe(() => { n++; if (performance.now() > end) { sub.unsubscribe(); q.trySend(1, Buffer.alloc(0)); c.on('close', () => { q.remove(); console.log('rtts', n); }); return; } q.trySend(1, ping); });
q.trySend(1, ping);
