// One log format for the showcase and its children: time since the showcase started, who
// (role and pid), what happened.
const t0 = Number(process.env.RXIPC_SHOWCASE_T0 ?? Date.now());
process.env.RXIPC_SHOWCASE_T0 = String(t0); // children inherit the showcase's start time

/** Milliseconds since the showcase started (the same clock in every process). */
export function elapsed(): number {
  return Date.now() - t0;
}

export function log(who: string, text: string): void {
  const time = `+${(elapsed() / 1000).toFixed(3)}s`;
  console.log(`${time.padStart(8)}  ${`${who}(${process.pid})`.padEnd(20)} ${text}`);
}
