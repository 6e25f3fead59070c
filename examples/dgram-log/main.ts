// dgram-log: several processes send log lines as datagrams to one collector, which prints
// them through RxJS with each sender's pid — vouched for by the kernel (SCM_CREDENTIALS),
// not written by the sender. Every datagram is one line: no framing, no interleaving.
//
// Run: npm run example dgram-log -- [processes] [lines]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createDatagramSocket } from '@rxipc/core';
import { datagrams } from '@rxipc/rx';
import { take } from 'rxjs';

const processes = Number(process.argv[2] ?? 3);
const lines = Number(process.argv[3] ?? 2);
const dir = mkdtempSync(join(tmpdir(), 'rxipc-dgram-log-'));
const address = join(dir, 'log.sock');
const collector = createDatagramSocket({ bind: address });

const seen = new Map<number, number>();
datagrams(collector)
  .pipe(take(processes * lines))
  .subscribe({
    next: ({ data, credentials }) => {
      const pid = credentials!.pid;
      seen.set(pid, (seen.get(pid) ?? 0) + 1);
      console.log(`[pid ${pid}] ${data.toString()}`);
    },
    complete: () => {
      // take() unsubscribed: the collector's socket is closed and log.sock removed.
      rmSync(dir, { recursive: true, force: true });
      console.log(`collector: ${processes * lines} lines from ${seen.size} processes`);
    },
  });

const logger = fileURLToPath(new URL('./logger.js', import.meta.url));
for (let i = 0; i < processes; i++) spawn(process.execPath, [logger, address, String(lines), `worker-${i}`], { stdio: 'inherit' });
