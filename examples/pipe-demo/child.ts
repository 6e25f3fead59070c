// The child of pipe-demo: copies everything from the inherited pipe end (fd 3) to stdout.
import { readableFromFd } from '@rxipc/core';

console.log(`child(${process.pid}) write to STDOUT_FILENO`);

const pipe = readableFromFd(3); // the parent's pipe, as a stream, in one call
pipe.pipe(process.stdout, { end: false });
pipe.on('end', () => process.stdout.write('\n')); // the parent closed its end: all is read
// Nothing else keeps the process alive: it exits 0 once the pipe is drained and closed.
