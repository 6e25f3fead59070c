// What a Node user does today without rxipc: FIFO ends as net.Socket over non-blocking fds.
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** `new net.Socket({ fd })` over an O_RDONLY | O_NONBLOCK fd (the open never waits). */
export function nodeFifoReader(path: string): Socket {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return new Socket({ fd, readable: true, writable: false });
}

/** O_WRONLY | O_NONBLOCK fails with ENXIO until a reader is there: retry every millisecond. */
export async function nodeFifoWriter(path: string): Promise<Socket> {
  for (;;) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
      return new Socket({ fd, readable: false, writable: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
      await sleep(1);
    }
  }
}
