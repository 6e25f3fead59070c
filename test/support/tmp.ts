// Names of temp dirs made by tests. Every one starts with "rxipc-<run>-", where <run> is the
// id the leak sweep (test/global-setup.ts) gives each run through RXIPC_TEST_RUN: the sweep
// then finds this run's leftovers in os.tmpdir() exactly, even beside another checkout's run.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** This run's id (from the global setup), or this process's pid outside a vitest run. */
export const testRunId: string = process.env.RXIPC_TEST_RUN ?? `pid${process.pid}`;

/** Makes a fresh dir `os.tmpdir()/rxipc-<run>-<label>-XXXXXX` (mode 0o700). */
export function makeTestTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `rxipc-${testRunId}-${label}-`));
}
