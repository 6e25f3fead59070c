// rxipc benchmarks: `npm run bench -- [options]` (see --help and bench/README.md).
//
// Compiles the C reference (bench/c, cc -O2 into bench/out), then runs every selected row
// at every placement, `reps` times, each run in fresh processes. A row with a C reference
// (refC) runs right after a run of that reference at the same placement, so that each rep
// gives a ratio of neighbours in time (see schedule()):
//   - a Node row runs `taskset -c P node case.js <ctx>`, which pins its peer to CPU C;
//   - a C row runs the C pair program with `-a P,C` (sched_setaffinity before/after fork).
// This process only orchestrates: it owns every message queue and semaphore set (IPC_PRIVATE, one per run,
// id passed by argv) and the temp directory of FIFOs and socket files, and removes them after
// each run, on error and on Ctrl-C. Socket pairs and the fds they pass live and die inside
// the run's processes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { IPC_PRIVATE, MessageQueue, SemaphoreSet, SharedMemory } from '@rxipc/core';

import type { CaseContext } from './lib/context.js';
import type { CaseResult } from './lib/meter.js';
import { CASE_JS, exited, killChildren, lastJson, spawnPinned } from './lib/proc.js';
import { compare, PLACEMENTS, renderTable, renderVerdicts, summarize, UNSTEADY_PCT, valueOf, type Cell, type Placement, type Run } from './lib/report.js';
import { selectRows, TABLES, type Family, type Row, type TableId } from './lib/rows.js';

const HELP = `usage: npm run bench -- [options]

  -t, --seconds N      measured window of a throughput run (default 0.8; round trips: half;
                       the warm-up comes on top)
  -r, --reps N         runs per row and placement, each right after a run of the row's
                       C reference; medians of values and of ratios are reported (default 3)
  -w, --warm N         warm-up seconds before each window, not counted (default 0.2)
  -p, --placements L   comma list of same, cross, free (default same,cross)
      --only L         comma list of pipe, fifo, msg, shm, sem, sock (default all)
      --filter S       only rows whose key contains S (plus their reference rows)
      --quick          -t 0.25 -w 0.1 -r 1: a smoke run of about 30 s
      --json PATH      where to write the results (default bench/out/results-<date>.json)
      --baseline DIR   also run every rxipc row with the rxipc of another checkout DIR
                       (built: DIR/bench/dist/case.js), as a "before:" row next to it,
                       interleaved with the same C reference: a before/after in one run
      --glibc-tunables S  GLIBC_TUNABLES for the Node processes, e.g.
                       glibc.malloc.trim_threshold=1073741824 (see bench/README.md)
  -h, --help`;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', short: 't' },
    reps: { type: 'string', short: 'r' },
    warm: { type: 'string', short: 'w' },
    placements: { type: 'string', short: 'p' },
    only: { type: 'string' },
    filter: { type: 'string' },
    quick: { type: 'boolean' },
    json: { type: 'string' },
    'glibc-tunables': { type: 'string' },
    baseline: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

function option(v: string | undefined, quick: number, dflt: number, name: string): number {
  if (v === undefined) return values.quick ? quick : dflt;
  const n = Number(v);
  if (!(n > 0)) usage(`--${name} must be a positive number`);
  return n;
}
function usage(msg: string): never {
  console.error(`${msg}\n\n${HELP}`);
  process.exit(2);
}
function list<T extends string>(v: string | undefined, allowed: readonly T[], dflt: T[], name: string): T[] {
  if (v === undefined) return dflt;
  const items = v.split(',').map((s) => s.trim()) as T[];
  for (const i of items) if (!allowed.includes(i)) usage(`--${name}: unknown '${i}' (one of ${allowed.join(', ')})`);
  return items;
}

const seconds = option(values.seconds, 0.25, 0.8, 'seconds');
/** Round trips need fewer seconds for plenty of samples (10,000 at 40 µs in 0.4 s). */
const windowOf = (row: Row): number => (row.table.endsWith('rtt') ? seconds / 2 : seconds);
const warm = option(values.warm, 0.1, 0.2, 'warm');
const reps = Math.round(option(values.reps, 1, 3, 'reps'));
const placements = list<Placement>(values.placements, ['same', 'cross', 'free'], ['same', 'cross'], 'placements');
const families = list<Family>(values.only, ['pipe', 'fifo', 'msg', 'shm', 'sem', 'sock'], ['pipe', 'fifo', 'msg', 'shm', 'sem', 'sock'], 'only');
const rows = withBaseline(selectRows(families, values.filter), values.baseline);
if (rows.length === 0) usage('no rows selected');

/**
 * --baseline DIR: each rxipc row that DIR's bench knows gets a twin right after it, run by
 * DIR's case.js (its own rxipc on both sides, its own Node peers) against the same C
 * reference, so before and after are neighbours in time.
 */
function withBaseline(selected: Row[], dir: string | undefined): Row[] {
  if (dir === undefined) return selected;
  const caseJs = join(dir, 'bench', 'dist', 'case.js');
  const libDir = join(dir, 'bench', 'dist', 'lib');
  let known = '';
  try {
    known = readdirSync(libDir).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(libDir, f), 'utf8')).join('\n');
    readFileSync(caseJs);
  } catch {
    usage(`--baseline: no built bench in ${dir} (run npm run build there)`);
  }
  return selected.flatMap((row) => {
    if (row.who !== 'rxipc' || !('node' in row.run) || !known.includes(`'${row.run.node}'`)) return [row];
    const twin: Row = { ...row, key: `before:${row.key}`, label: `before: ${row.label}`, run: { node: row.run.node, caseJs } };
    delete twin.targets;
    return [row, twin];
  });
}

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(benchDir, 'out');

// ---- resources this process owns ----

const queues = new Set<MessageQueue | SemaphoreSet>();
const segments = new Set<SharedMemory>();
let runTmp: string | undefined;

function removeSegment(shm: SharedMemory): void {
  try {
    shm.remove();
  } catch {
    /* already gone */
  }
  void shm.close();
  segments.delete(shm);
}

function cleanup(): void {
  killChildren();
  for (const q of queues) {
    try {
      q.remove();
    } catch {
      /* already gone */
    }
  }
  queues.clear();
  for (const shm of segments) removeSegment(shm);
  if (runTmp) rmSync(runTmp, { recursive: true, force: true });
  runTmp = undefined;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\n${sig}: removing queues, semaphore sets and FIFOs\n`);
    cleanup();
    process.exit(130);
  });
}

// ---- the C reference ----

function buildC(): string {
  const bin = join(outDir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const name of ['pipebench', 'msgqbench', 'shmbench', 'sembench', 'sockbench']) {
    const args = ['-O2', '-Wall', '-Wextra', '-pthread', '-o', join(bin, name), join(benchDir, 'c', `${name}.c`)];
    const r = spawnSync('cc', args, { stdio: 'inherit' });
    if (r.error || r.status !== 0) throw new Error(`cc ${args.join(' ')} failed${r.error ? `: ${r.error.message}` : ''}`);
  }
  return bin;
}

// ---- one run ----

async function runOnce(row: Row, placement: Placement, cbin: string): Promise<CaseResult> {
  const cpu = PLACEMENTS[placement];
  const dir = mkdtempSync(join(runTmp!, 'run-'));
  const q = row.needsQueue ? MessageQueue.open(IPC_PRIVATE, { create: true, exclusive: true, mode: 0o600 }) : undefined;
  if (q) queues.add(q);
  const shm = row.needsSegment ? SharedMemory.open(IPC_PRIVATE, { size: 2 * 1024 * 1024, create: true, exclusive: true, mode: 0o600 }) : undefined;
  if (shm) segments.add(shm);
  const sem = row.needsSem ? SemaphoreSet.open(IPC_PRIVATE, { count: 3, create: true, exclusive: true, mode: 0o600 }) : undefined;
  if (sem) queues.add(sem);
  try {
    const secs = windowOf(row);
    const total = warm + secs;
    let child;
    if ('c' in row.run) {
      const affinity = `${cpu.parent ?? -1},${cpu.child ?? -1}`;
      const args = row.run.args({ size: row.size, total, warm, affinity, dir, qid: q?.id, shmid: shm?.id, semid: sem?.id });
      child = spawnPinned(undefined, join(cbin, row.run.c), args, { stdio: ['ignore', 'pipe', 'inherit'] });
    } else {
      const ctx: CaseContext = { id: row.run.node, size: row.size, seconds: secs, warm, childCpu: cpu.child ?? null, tmp: dir, cbin, ...(q ? { qid: q.id } : {}), ...(shm ? { shmid: shm.id } : {}), ...(sem ? { semid: sem.id } : {}) };
      const env = values['glibc-tunables'] ? { ...process.env, GLIBC_TUNABLES: values['glibc-tunables'] } : process.env;
      child = spawnPinned(cpu.parent, process.execPath, [row.run.caseJs ?? CASE_JS, JSON.stringify(ctx)], { stdio: ['ignore', 'pipe', 'inherit'], env });
    }
    const timer = setTimeout(() => child.kill('SIGTERM'), (total + 30) * 1000);
    const e = await exited(child, true);
    clearTimeout(timer);
    if (e.code !== 0) throw new Error(`exit ${e.code ?? e.signal}`);
    const raw = lastJson<Record<string, unknown>>(e.stdout, row.key);
    if ('c' in row.run) {
      // C programs print {units, seconds, rate, unit, reads} or {n, p50, p99}.
      if ('p50' in raw) return { kind: 'rtt', p50: raw.p50 as number, p99: raw.p99 as number, n: raw.n as number };
      return { kind: 'thr', rate: raw.rate as number, unit: raw.unit as 'B' | 'msg', units: raw.units as number, seconds: raw.seconds as number, reads: raw.reads as number };
    }
    return raw as unknown as CaseResult;
  } finally {
    for (const o of [q, sem]) {
      if (!o) continue;
      try {
        o.remove();
      } catch {
        /* removed already */
      }
      queues.delete(o);
    }
    if (shm) removeSegment(shm);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The placement a run reported (parent/child Cpus_allowed_list), checked against the plan. */
function checkCpus(cell: Cell, r: CaseResult): void {
  const got = r.notes?.cpus;
  if (typeof got !== 'string' || got === '') return;
  const p = PLACEMENTS[cell.placement];
  const all = `0-${cpus().length - 1}`;
  // A row without a peer reports "P/-": only its own placement is checked.
  const want = got.endsWith('/-') ? `${p.parent ?? all}/-` : `${p.parent ?? all}/${p.child ?? all}`;
  if (got !== want && !got.endsWith('/gone')) process.stderr.write(`  warning: ${cell.row.key} ${cell.placement}: ran on ${got}, expected ${want}\n`);
}

function fmtProgress(r: CaseResult): string {
  if (r.kind === 'rtt') return `p50 ${r.p50.toFixed(2)} µs, p99 ${r.p99.toFixed(2)} µs`;
  if (r.unit === 'cpu') return `${(r.rate * 100).toFixed(2)}% of a CPU`;
  return r.unit === 'B' ? `${(r.rate / 1e6).toFixed(0)} MB/s` : `${(r.rate / 1e3).toFixed(0)}k msg/s`;
}

// ---- the order of runs ----

/**
 * What one rep of a table runs, in order: each row with a C reference as a pair (its
 * reference right before it, at each placement), each other row alone, except a row that
 * only serves as a reference: its runs are the ones made next to the rows compared with it.
 * A reference shared by several rows thus runs once per row, each time next to it.
 */
function schedule(tableRows: Row[], byKey: Map<string, Row>): Array<{ row: Row; ref: Row | undefined }> {
  const isRef = new Set(rows.map((r) => r.refC));
  return tableRows
    .filter((row) => row.refC !== undefined || !isRef.has(row.key))
    .map((row) => ({ row, ref: row.refC === undefined ? undefined : byKey.get(row.refC) }));
}

// ---- main ----

function machine(): Record<string, unknown> {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8').trim();
    } catch {
      return '?';
    }
  };
  return {
    cpu: cpus()[0]?.model ?? '?',
    cpus: cpus().length,
    kernel: release(),
    node: process.version,
    /** At the start; every run records its own (runs[].loadavg). */
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
    msgmax: Number(read('/proc/sys/kernel/msgmax')),
    msgmnb: Number(read('/proc/sys/kernel/msgmnb')),
    pipeMaxSize: Number(read('/proc/sys/fs/pipe-max-size')),
  };
}

async function main(): Promise<void> {
  const started = new Date();
  const cbin = buildC();
  runTmp = mkdtempSync(join(tmpdir(), 'rxipc-bench-'));
  const m = machine();
  const cells: Cell[] = [];
  for (const row of rows) for (const p of placements) cells.push({ row, placement: p, runs: [], pairs: [] });
  const cellOf = (row: Row, p: Placement) => cells.find((c) => c.row === row && c.placement === p)!;
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const tables = [...new Set(rows.map((r) => r.table))] as TableId[];
  const plan = tables.map((t) => schedule(rows.filter((r) => r.table === t), byKey));
  const runs = plan.flat().reduce((n, e) => n + (e.ref ? 2 : 1), 0) * placements.length * reps;
  process.stderr.write(
    `rxipc bench: ${rows.length} rows × ${placements.join('/')} × ${reps} reps = ${runs} runs (with the reference runs next to each row), ` +
      `${seconds} s window + ${warm} s warm-up each\n` +
      `machine: ${m.cpu}, ${m.cpus} CPUs, Linux ${m.kernel}, Node ${m.node}, loadavg ${(m.loadavg as number[]).join(' ')}\n`,
  );
  let seq = 0;
  /** One run, recorded in its row's cell; undefined when it failed (the cell keeps the error). */
  const measure = async (row: Row, p: Placement, rep: number, tag: string): Promise<Run | undefined> => {
    const cell = cellOf(row, p);
    const t0 = performance.now();
    const load = loadavg()[0]!;
    const at = `  [${rep}/${reps}] ${row.key} ${p}${tag}`;
    try {
      const r = await runOnce(row, p, cbin);
      const run: Run = { ...r, seq: seq++, rep, loadavg: Number(load.toFixed(2)) };
      cell.runs.push(run);
      checkCpus(cell, r);
      process.stderr.write(`${at}: ${fmtProgress(r)} (${((performance.now() - t0) / 1000).toFixed(1)} s, load ${load.toFixed(2)})\n`);
      return run;
    } catch (err) {
      seq++;
      cell.error = (err as Error).message;
      process.stderr.write(`${at}: FAILED ${(err as Error).message}\n`);
      return undefined;
    }
  };
  for (const entries of plan) {
    // Repetitions outermost, so that a noisy moment hits one pair of many rows, not all pairs
    // of one; within a pair the reference runs first, right before the row.
    for (let rep = 1; rep <= reps; rep++) {
      for (const { row, ref } of entries) {
        for (const p of placements) {
          const refRun = ref ? await measure(ref, p, rep, ` (reference of ${row.key})`) : undefined;
          const run = await measure(row, p, rep, '');
          if (refRun && run) {
            const ratio = valueOf(run) / valueOf(refRun);
            cellOf(row, p).pairs.push({ rep, refSeq: refRun.seq, seq: run.seq, ratio });
            process.stderr.write(`      ${ratio.toFixed(2)}× ${ref!.key}\n`);
          }
        }
      }
    }
  }
  for (const c of cells) summarize(c);
  compare(cells);

  const elapsed = (Date.now() - started.getTime()) / 1000;
  const header =
    `## rxipc bench, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}\n\n` +
    `${m.cpu}, ${m.cpus} CPUs, Linux ${m.kernel}, Node ${m.node}; msgmax ${m.msgmax}, msgmnb ${m.msgmnb}; ` +
    (values['glibc-tunables'] ? `Node processes ran with GLIBC_TUNABLES=${values['glibc-tunables']}; ` : '') +
    `1-min loadavg ${(m.loadavg as number[])[0]} at start, ${loadavg()[0]!.toFixed(2)} at end (2 CPUs: anything else running skews ` +
    `\`same\` and \`cross\` alike); ${elapsed.toFixed(0)} s in all.\n`;
  const out = [header, ...tables.map((t) => renderTable(t, cells, placements, reps, t.endsWith('rtt') ? seconds / 2 : seconds)), renderVerdicts(cells)].filter(Boolean);
  console.log(out.join('\n'));

  const file = values.json ?? join(outDir, `results-${started.toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: started.toISOString(),
        machine: m,
        options: { seconds, warm, reps, placements, families, filter: values.filter ?? null, glibcTunables: values['glibc-tunables'] ?? null, baseline: values.baseline ?? null },
        elapsedSeconds: Number(elapsed.toFixed(1)),
        unsteadyPct: UNSTEADY_PCT,
        tables: Object.fromEntries(tables.map((t) => [t, TABLES[t]])),
        rows: cells.map((c) => ({
          key: c.row.key,
          table: c.row.table,
          label: c.row.label,
          who: c.row.who,
          size: c.row.size,
          placement: c.placement,
          unit: c.runs[0]?.kind === 'rtt' ? 'µs' : c.runs[0]?.kind === 'thr' ? `${c.runs[0].unit}/s` : null,
          value: c.value ?? null,
          p99: c.p99 ?? null,
          refC: c.row.refC ?? null,
          refCName: c.row.refC ? (c.row.refCName ?? 'C') : null,
          vsC: c.vsC ?? null,
          pairs: c.pairs,
          unsteady: c.unsteady ?? false,
          refNode: c.row.refNode ?? null,
          vsNode: c.vsNode ?? null,
          targets: c.targets ?? null,
          notes: c.notes ?? null,
          error: c.error ?? null,
          runs: c.runs,
        })),
      },
      null,
      2,
    )}\n`,
  );
  process.stderr.write(`results written to ${file}\n`);
  if (cells.some((c) => c.error)) process.exitCode = 1;
}

main()
  .catch((err: Error) => {
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  })
  .finally(cleanup);
