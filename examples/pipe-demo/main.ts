// pipe-demo: a parent sends its arguments to a child process through an anonymous pipe.
// TypeScript port of pipe_demo.c (the C forks; Node spawns a second program, child.ts,
// and hands it the pipe's read end as its fd 3).
//
// Differences from the C version, on purpose:
//   - all arguments are sent, joined by single spaces (the C usage says `mesg...` but
//     sends only argv[1]), so `pipe-demo hello world` prints "hello world";
//   - a short write cannot lose data: the stream writes every byte before it closes
//     (the C ignored write()'s return value);
//   - the parent exits with the child's status (the C waited, without <sys/wait.h>, and
//     always exited 0).
//
// Run: npm run example pipe-demo -- hello world
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

import { createPipe } from '@rxipc/core';

const args = process.argv.slice(2);
if (args.length === 0) {
  process.stderr.write('Usage: pipe-demo mesg...\n');
  process.exit(1);
}

// O_CLOEXEC on both ends: the child gets exactly the end we list in `stdio`, nothing else.
// (The C child had to close its inherited write end; here it never has one, so it sees
// end-of-file as soon as we close ours.)
const { readable, writable } = createPipe();

const child = spawn(process.execPath, [fileURLToPath(new URL('./child.js', import.meta.url))], {
  stdio: ['inherit', 'inherit', 'inherit', readable.fd], // the read end becomes the child's fd 3
});
// The child holds its own copy now; ours goes, like the C's close(pipfd[0]). Kept open, it
// would hide a child that died early: our writes would fill the pipe instead of failing (EPIPE).
readable.destroy();

writable.on('error', (err) => process.stderr.write(`pipe-demo: write error: ${err.message}\n`));
writable.end(args.join(' ')); // writes all of it, then closes our write end: the child sees EOF

child.on('exit', (code, signal) => {
  // Like a shell: a child killed by a signal gives 128 + the signal number.
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});
