// Experiment: cost per message of the send paths, one process, no peer (fill 200, drain 200).
import { MessageQueue, IPC_PRIVATE } from '@rxipc/core';
import { native } from '@rxipc/native';
const size = Number(process.argv[2] ?? 64);
const q = MessageQueue.open(IPC_PRIVATE, { create: true });
const buf = Buffer.alloc(size, 'x');
const N = 200;
const drain = () => { while (native.msgrcv(q.id, 8192, 0, 0) !== undefined); };
const variants = {
  'q.trySend': () => { for (let i = 0; i < N; i++) q.trySend(1, buf); },
  'native.msgsnd': () => { for (let i = 0; i < N; i++) native.msgsnd(q.id, 1, buf); },

  'ws.write (sync path)': (() => { const ws = q.createWriteStream({ type: 1 }); return () => { for (let i = 0; i < N; i++) ws.write(buf); }; })(),
};
try {
  for (let round = 0; round < 3; round++) {
    for (const [name, fn] of Object.entries(variants)) {
      let t = 0, n = 0;
      const end = performance.now() + 500;
      while (performance.now() < end) { const t0 = performance.now(); fn(); t += performance.now() - t0; n += N; drain(); }
      console.log(round, name.padEnd(22), (t * 1e6 / n).toFixed(0), 'ns/msg');
    }
  }
} finally { q.remove(); }
