// What shm-counter's processes share: the environment variables that carry the ids, and a log format.

export const ENV = {
  shm: 'RXIPC_COUNTER_SHM',
  sem: 'RXIPC_COUNTER_SEM',
  iterations: 'RXIPC_COUNTER_ITERATIONS',
  lock: 'RXIPC_COUNTER_LOCK',
} as const;

export function log(who: string, text: string): void {
  process.stdout.write(`${who}(${process.pid}): ${text}\n`);
}
