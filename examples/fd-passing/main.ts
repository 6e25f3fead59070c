// fd-passing: a parent hands open file descriptors (a pipe's read end, a file it opened and a
// POSIX shared memory object) to an unrelated process over a unix seqpacket socket
// (SCM_RIGHTS). The receiver did not inherit them and could not open them itself (the file's
// and the shared memory's names are removed before they are sent): it reads the pipe and the
// file through the descriptors it was given, maps the shared memory and answers in it, and
// says who sent them (SO_PEERCRED).
//
// Run: npm run example fd-passing
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createPipe, listenSeqpacket, PosixSharedMemory, type MessageSocket } from '@rxipc/core';

const dir = mkdtempSync(join(tmpdir(), 'rxipc-fd-passing-'));
const address = join(dir, 'fd.sock');
const secret = join(dir, 'secret.txt');
writeFileSync(secret, 'contents of a file only the parent opened\n', { mode: 0o600 });

const server = listenSeqpacket(address);
const receiver = spawn(process.execPath, [fileURLToPath(new URL('./receiver.js', import.meta.url)), address], { stdio: 'inherit' });

const conn = await new Promise<MessageSocket>((resolve) => server.once('connection', resolve));
server.close(); // one receiver: stop listening (removes fd.sock)
console.log(`parent(${process.pid}): receiver ${conn.peerCredentials().pid} connected`);

const { readable, writable } = createPipe();
const fileFd = openSync(secret, 'r');
unlinkSync(secret); // the name is gone; the open file lives on in the descriptor we pass
const shmName = `/rxipc-fd-passing-${process.pid}`;
const shm = PosixSharedMemory.open(shmName, { size: 4096, create: true, exclusive: true, mode: 0o600 });
PosixSharedMemory.unlink(shmName); // likewise: only the descriptor leads to this memory now
shm.publish(0, 'a record in memory only the parent mapped');
await new Promise<void>((resolve, reject) =>
  conn.write({ data: 'a pipe, a file and shared memory', fds: [readable.fd, fileFd, shm.fd] }, (err) => (err ? reject(err) : resolve())),
);
readable.destroy(); // the receiver holds its own reference now
closeSync(fileFd);
writable.end('written into the pipe after its read end left this process\n');

const code = await new Promise<number>((resolve) => receiver.once('exit', (c) => resolve(c ?? 1)));
console.log(`parent: shared memory says: ${shm.snapshot(128).data.toString()}`);
await shm.close();
conn.destroy();
rmSync(dir, { recursive: true, force: true });
process.exitCode = code;
