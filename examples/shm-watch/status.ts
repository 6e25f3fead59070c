// What the writer and the watcher share: the record's place and shape, and a log line format.

/** The environment variable that carries the segment id to the watcher. */
export const SHM_ID_ENV = 'RXIPC_SHM_WATCH_ID';

/** Where the status record starts (a multiple of 4: its sequence word is a futex). */
export const RECORD_OFFSET = 0;

/** The status record, JSON-encoded as the record's data. */
export interface Status {
  n: number;
  state: string;
  load: number;
  /** When it was published: ms since the epoch, sub-millisecond (performance clock). */
  at: number;
}

export function log(who: string, text: string): void {
  process.stdout.write(`${who}(${process.pid}): ${text}\n`);
}
