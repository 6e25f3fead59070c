// Experiment: user-space instructions per 64 KiB read of each reader, for callgrind.
//   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p node experiments/pipe-reader-instr.mjs VARIANT MIB
// `head -c MIB MiB` writes into the pipe (fd 3 of the child); the reader counts to the end.
// Run twice with different MIB: the difference of the instruction totals over the difference
// of the reads is the cost of one read, start-up excluded.
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { createPipe } from '@rxipc/core';

const [variant = 'rxipc', mib = '16'] = process.argv.slice(2);
const { readable, writable } = createPipe();
const child = spawn('sh', ['-c', `head -c ${Number(mib) << 20} /dev/zero >&3`], { stdio: ['ignore', 'ignore', 'inherit', writable.fd] });
writable.destroy();
let bytes = 0, reads = 0;
const done = () => child.on('close', () => console.log(JSON.stringify({ variant, bytes, reads })));
if (variant === 'static') {
  const s = new Socket({ fd: readable.fd, readable: true, writable: false, onread: { buffer: Buffer.allocUnsafe(65536), callback: (n) => { bytes += n; reads++; } } });
  s.on('end', done);
} else {
  const r = variant === 'socket' ? new Socket({ fd: readable.fd, readable: true, writable: false }) : readable;
  r.on('data', (b) => { bytes += b.length; reads++; });
  r.on('end', done);
}
