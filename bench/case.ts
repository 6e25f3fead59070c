// One measurement in a fresh Node process: `node case.js '<CaseContext as JSON>'`.
// Started by bench/run.ts, pinned with taskset (so every thread of this process, including
// rxipc's waiter threads, runs where the placement says); it pins its peer to
// ctx.childCpu. Prints one JSON line: the CaseResult.
import type { CaseContext, CaseFn } from './lib/context.js';
import { totalSeconds } from './lib/context.js';
import { msgCases } from './lib/msg-cases.js';
import { shmCases } from './lib/shm-cases.js';
import { killChildren } from './lib/proc.js';
import { semCases } from './lib/sem-cases.js';
import { sockCases } from './lib/sock-cases.js';
import { streamCases } from './lib/stream-cases.js';

const cases: Record<string, CaseFn> = { ...streamCases, ...msgCases, ...shmCases, ...semCases, ...sockCases };

function fail(message: string): never {
  killChildren();
  process.stderr.write(`case: ${message}\n`);
  process.exit(1);
}

const ctx = JSON.parse(process.argv[2] ?? '{}') as CaseContext;
const fn = cases[ctx.id];
if (!fn) fail(`unknown case '${ctx.id}' (known: ${Object.keys(cases).join(', ')})`);

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killChildren();
    process.exit(130);
  });
}
// A run that hangs (a peer that never ends) must not hang the whole benchmark.
const watchdog = setTimeout(() => fail(`${ctx.id}: no result after ${totalSeconds(ctx) + 20} s`), (totalSeconds(ctx) + 20) * 1000);
watchdog.unref();

fn(ctx).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    clearTimeout(watchdog);
  },
  (err: Error) => fail(`${ctx.id}: ${err.stack ?? err.message}`),
);
