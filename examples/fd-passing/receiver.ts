// fd-passing's receiver: connects to the address it is given, takes the descriptors that
// arrive with the first message, reads the pipe and the file to their end, and maps the
// shared memory object: reads the parent's record and publishes an answer beside it.
import { readFileSync } from 'node:fs';

import { connectSeqpacket, PosixSharedMemory, readableFromFd, type ReceivedMessage } from '@rxipc/core';

const conn = await connectSeqpacket(process.argv[2]!);
const msg = await new Promise<ReceivedMessage>((resolve) => conn.once('data', resolve));
// Take them now, in the same turn as the 'data' event: fds nobody takes are closed.
const fds = msg.takeFds();
const [pipeFd, fileFd, shmFd] = fds;
console.log(`receiver(${process.pid}): "${msg.data.toString()}" from pid ${msg.credentials?.pid}, ${fds.length} fds`);
conn.destroy();

console.log(`receiver: file says: ${readFileSync(fileFd!, 'utf8').trimEnd()}`);
const shm = PosixSharedMemory.fromFd(shmFd!);
console.log(`receiver: shared memory (${shm.size} B) says: ${shm.snapshot(0).data.toString()}`);
shm.publish(128, `answered by pid ${process.pid}`);
await shm.close();
let text = '';
for await (const chunk of readableFromFd(pipeFd!)) text += chunk;
console.log(`receiver: pipe says: ${text.trimEnd()}`);
