// The leak sweep: the suite must leave System V IPC, /dev/shm and the temp dir as it found
// them. Only objects created during the run by this user are reported (other programs on the
// machine use IPC too, and nothing here ever removes what it did not create).
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

interface IpcSnapshot {
  queues: Set<string>;
  shm: Set<string>;
  sems: Set<string>;
  devShm: Set<string>;
}

function ids(file: string): Set<string> {
  // /proc/sysvipc/*: header line, then "key id ..." rows; the id is the 2nd column.
  try {
    const rows = readFileSync(file, 'utf8').trim().split('\n').slice(1);
    return new Set(rows.map((r) => r.trim().split(/\s+/)[1]!).filter(Boolean));
  } catch {
    return new Set();
  }
}

function snapshot(): IpcSnapshot {
  return {
    queues: ids('/proc/sysvipc/msg'),
    shm: ids('/proc/sysvipc/shm'),
    sems: ids('/proc/sysvipc/sem'),
    devShm: new Set(readdirSync('/dev/shm')),
  };
}

let before: IpcSnapshot;
let tmpBefore: Set<string>;
let runId: string;

/** Entries of os.tmpdir() that tests make: every temp dir of the suite starts with "rxipc-". */
function rxipcTempEntries(): Set<string> {
  try {
    return new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('rxipc-')));
  } catch {
    return new Set();
  }
}

export function setup(): void {
  before = snapshot();
  tmpBefore = rxipcTempEntries();
  // The test processes inherit this: their temp dirs are named rxipc-<run>-... (test/support/tmp.ts).
  runId = `r${process.pid}${randomBytes(3).toString('hex')}`;
  process.env.RXIPC_TEST_RUN = runId;
}

/**
 * rxipc temp entries made during the run and still there. With `all`, every new rxipc-*
 * entry; otherwise only the ones carrying this run's id (exact even beside another run).
 */
function tempLeftovers(all: boolean): string[] {
  return [...rxipcTempEntries()].filter((n) => !tmpBefore.has(n) && (all || n.startsWith(`rxipc-${runId}-`)));
}

function leakedSince(base: IpcSnapshot): string[] {
  const after = snapshot();
  const leaked: string[] = [];
  for (const kind of ['queues', 'shm', 'sems', 'devShm'] as const) {
    for (const id of after[kind]) if (!base[kind].has(id)) leaked.push(`${kind}:${id}`);
  }
  return leaked;
}

export async function teardown(): Promise<void> {
  // Several checkouts testing at once on one machine see each other's objects: a developer
  // running a partial suite beside another may turn the sweep off (CI never does). This
  // run's own temp dirs are told apart by name, so they are checked even then.
  const sweep = !(process.env.RXIPC_LEAK_SWEEP === 'off' && process.env.CI !== 'true');
  let tmpLeft = tempLeftovers(sweep);
  for (let i = 0; i < 20 && tmpLeft.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    tmpLeft = tempLeftovers(sweep);
  }
  if (tmpLeft.length > 0) {
    throw new Error(
      `the test suite left temp dirs in ${tmpdir()} (remove what each test creates): ${tmpLeft.join(', ')}` +
        (sweep ? '\n(entries made by other runs during this one are counted too: run the suite alone)' : ''),
    );
  }
  if (!sweep) return;
  let leaked = leakedSince(before);
  // A child process killed at the end of a test may still be removing what it made.
  for (let i = 0; i < 20 && leaked.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    leaked = leakedSince(before);
  }
  if (leaked.length > 0) {
    throw new Error(
      `the test suite leaked IPC objects (remove what each test creates): ${leaked.join(', ')}\n` +
        `(objects made by other programs during the run are counted too: run the suite alone)`,
    );
  }
}
