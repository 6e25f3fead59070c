// The one registry of child processes started through test/support (spawnNode, startChild,
// startNodeFixture, msgPeer runs). A child is killed (SIGKILL, by its own pid) when the test
// that started it ends — vitest runs afterEach also after a test that timed out, which is
// when children used to be left running — and every child still alive is killed when the
// test file ends and when the process exits.
//
// Invariants:
// - only children registered here are ever killed, and only by pid (never a group or a name);
// - a child started outside a test (in beforeAll) lives until the file ends;
// - the hooks that drive this are registered once per test file by test/setup.ts.
import type { ChildProcess } from 'node:child_process';

/** Live children, and whether each was started while a test was running. */
const live = new Map<ChildProcess, { inTest: boolean }>();
let testRunning = false;

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function kill(child: ChildProcess): void {
  live.delete(child);
  if (running(child) && child.pid !== undefined) child.kill('SIGKILL');
}

/** Registers a just-spawned child; it leaves the registry when it exits. */
export function trackChild(child: ChildProcess): void {
  live.set(child, { inTest: testRunning });
  const forget = () => live.delete(child);
  child.once('exit', forget);
  child.once('error', forget);
}

/** Kills (SIGKILL) every registered child that is still running. */
export function killAllChildren(): void {
  for (const child of [...live.keys()]) kill(child);
}

/** beforeEach: children spawned from now on belong to the test. */
export function testStarted(): void {
  testRunning = true;
}

/** afterEach: kills the children the test started that are still running. */
export function testEnded(): void {
  testRunning = false;
  for (const [child, { inTest }] of [...live]) if (inTest) kill(child);
}

/** Children still running (for tests of this module and for failure messages). */
export function liveChildren(): number {
  return [...live.keys()].filter(running).length;
}

process.on('exit', killAllChildren);
