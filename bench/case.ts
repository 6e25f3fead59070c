// One measurement in a fresh Node process: `node case.js '<CaseContext as JSON>'`.
// Started by bench/run.ts, pinned with taskset (so every thread of this process, including
// rxipc's waiter threads, runs where the placement says); it pins its peer to
// ctx.childCpu. Prints one JSON line: the CaseResult.
import type { CaseContext, CaseFn } from './lib/context.js';
import { totalSeconds } from './lib/context.js';
import { killChildren } from './lib/proc.js';

type Cases = Record<string, CaseFn>;
const stream = async (): Promise<Cases> => (await import('./lib/stream-cases.js')).streamCases;
/**
 * The case modules by the second part of a case id (`rxipc.msg.rx` -> msg). Only the run's
 * own module is loaded: every run is a fresh process, and loading all of them (@rxipc/rx
 * and rxjs alone take ~0.2 s) would lengthen every run of a full bench for nothing.
 */
const modules: Record<string, () => Promise<Cases>> = {
  pipe: stream,
  fifo: stream,
  stdio: stream,
  msg: async () => (await import('./lib/msg-cases.js')).msgCases,
  shm: async () => (await import('./lib/shm-cases.js')).shmCases,
  sem: async () => (await import('./lib/sem-cases.js')).semCases,
  sock: async () => (await import('./lib/sock-cases.js')).sockCases,
};

function fail(message: string): never {
  killChildren();
  process.stderr.write(`case: ${message}\n`);
  process.exit(1);
}

const ctx = JSON.parse(process.argv[2] ?? '{}') as CaseContext;
const load = modules[String(ctx.id).split('.')[1] ?? ''];
if (!load) fail(`unknown case '${ctx.id}' (the second part of an id is one of ${Object.keys(modules).join(', ')})`);
const cases = await load();
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
