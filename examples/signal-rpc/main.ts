// signal-rpc: a parent sends numbered values to a child with sigqueue on a real-time signal;
// the child receives each with the value and the sender's pid (which Node's process.on never
// gives) through rx signals(), and reports it. Real-time signals queue: none is merged (two
// landing on different threads at once may be reported in either order).
//
// Run: npm run example signal-rpc -- [count]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { sigqueue } from '@rxipc/core';

const count = Number(process.argv[2] ?? 5);
const child = spawn(process.execPath, [fileURLToPath(new URL('./child.js', import.meta.url)), String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
child.stdout.setEncoding('utf8');
child.stdout.once('data', (line: string) => {
  if (!line.startsWith('ready')) throw new Error(`child said ${line}`);
  console.log(`parent(${process.pid}): sending ${count} values to child ${child.pid} on SIGRTMIN+1`);
  for (let i = 1; i <= count; i++) sigqueue(child.pid!, 'SIGRTMIN+1', i * 100);
  child.stdout.pipe(process.stdout);
});
child.once('exit', (code) => {
  process.exitCode = code ?? 1;
});
