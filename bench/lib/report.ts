// Medians, spreads, ratios, targets, and the tables they are printed in.
import type { CaseResult } from './meter.js';
import { TABLES, type Row, type TableId } from './rows.js';

export type Placement = 'same' | 'cross' | 'free';

/** CPU of the measuring process (parent) and of its peer (child); undefined = not pinned. */
export const PLACEMENTS: Record<Placement, { parent: number | undefined; child: number | undefined; text: string }> = {
  same: { parent: 0, child: 0, text: 'same = measuring process CPU 0, peer CPU 0' },
  cross: { parent: 0, child: 1, text: 'cross = measuring process CPU 0, peer CPU 1' },
  free: { parent: undefined, child: undefined, text: 'free = nothing pinned' },
};

export interface Stat {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median, in percent. */
  spreadPct: number;
}

/** A ratio spread above this (percent) makes a row UNSTEADY: its targets are not met. */
export const UNSTEADY_PCT = 20;

/** One run of a row at a placement. */
export type Run = CaseResult & {
  /** Order of the run in the whole invocation: neighbours in time have neighbouring seq. */
  seq: number;
  rep: number;
  /** 1-min load average (os.loadavg()[0]) when the run started. */
  loadavg: number;
};

/** A run of a row and the run of its C reference (refC) made right before it. */
export interface Pair {
  rep: number;
  refSeq: number;
  seq: number;
  /** Throughput: rate / the reference's rate. Round trip: p50 / the reference's p50. */
  ratio: number;
}

export interface Cell {
  row: Row;
  placement: Placement;
  /** Every run of the row at this placement: its own, and those made next to rows compared with it. */
  runs: Run[];
  /** One per rep when the row has a C reference and both runs of the rep succeeded. */
  pairs: Pair[];
  /** Throughput (units/s) or p50 (µs), over `runs`. */
  value?: Stat;
  p99?: Stat;
  /** Of the pairs' ratios. */
  vsC?: Stat;
  /** At least two pairs and their ratios spread more than UNSTEADY_PCT. */
  unsteady?: boolean;
  /**
   * vsC / the Node reference's vsC when both have the same C reference, else the ratio of
   * the medians of their values.
   */
  vsNode?: number;
  /** `binding`: judged at this placement (else shown for information). */
  targets?: Array<{ text: string; verdict: 'met' | 'MISSED' | 'UNSTEADY'; binding: boolean }>;
  notes?: Record<string, number | string>;
  error?: string;
}

/** The measured value of a run: a rate, or a p50 in µs. */
export const valueOf = (r: CaseResult): number => (r.kind === 'thr' ? r.rate : r.p50);

export function stat(values: number[]): Stat {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  const median = v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
  const min = v[0] as number;
  const max = v[v.length - 1] as number;
  return { median, min, max, spreadPct: median > 0 ? ((max - min) / median) * 100 : 0 };
}

/** Fills value, p99 and notes of a cell from its runs. */
export function summarize(cell: Cell): void {
  const rs = cell.runs;
  if (rs.length === 0) return;
  cell.value = stat(rs.map(valueOf));
  if (rs[0]!.kind === 'rtt') cell.p99 = stat(rs.map((r) => (r.kind === 'rtt' ? r.p99 : NaN)));
  // Notes of the run closest to the median.
  const closest = [...rs].sort((a, b) => Math.abs(valueOf(a) - cell.value!.median) - Math.abs(valueOf(b) - cell.value!.median))[0]!;
  if (closest.notes) cell.notes = closest.notes;
}

/** Ratios and targets, once every cell of the run is summarized. */
export function compare(cells: Cell[]): void {
  const cellOf = (key: string | undefined, placement: Placement) =>
    key === undefined ? undefined : cells.find((c) => c.row.key === key && c.placement === placement);
  for (const cell of cells) {
    if (cell.pairs.length > 0) {
      cell.vsC = stat(cell.pairs.map((p) => p.ratio));
      cell.unsteady = cell.pairs.length >= 2 && cell.vsC.spreadPct > UNSTEADY_PCT;
    }
  }
  for (const cell of cells) {
    const node = cellOf(cell.row.refNode, cell.placement);
    // With the same C reference on both sides, each vs C is already a ratio of neighbours in
    // time: their quotient holds still where the load changes between the two rows' runs.
    if (node?.vsC && cell.vsC && node.row.refC === cell.row.refC) cell.vsNode = cell.vsC.median / node.vsC.median;
    else if (node?.value && cell.value) cell.vsNode = cell.value.median / node.value.median;
    if (!cell.row.targets) continue;
    cell.targets = [];
    for (const t of cell.row.targets) {
      const x = t.vs === 'c' ? cell.vsC?.median : cell.vsNode;
      if (x === undefined) continue;
      const bound = 'atLeast' in t ? t.atLeast : t.atMost;
      const met = 'atLeast' in t ? x >= bound : x <= bound;
      // A miss that rounds to the bound shows its third digit.
      const close = !met && x.toFixed(2) === bound.toFixed(2) ? ` (${x.toFixed(3)})` : '';
      const ref = t.vs === 'c' ? (cell.row.refCName ?? 'C') : 'Node';
      cell.targets.push({
        text: `${'atLeast' in t ? '≥' : '≤'}${bound.toFixed(2)}×${ref}${close}`,
        verdict: cell.unsteady ? 'UNSTEADY' : met ? 'met' : 'MISSED',
        binding: (t.at ?? ['same']).includes(cell.placement as 'same' | 'cross'),
      });
    }
  }
}

// ---- formatting ----

/** Three significant digits, thousands separated. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** Messages per second as 1.23M / 456k. */
function fmtRate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(x >= 1e5 ? 0 : 1)}k`;
  return x.toFixed(0);
}

function fmtValue(cell: Cell, x: number): string {
  const r = cell.runs[0];
  if (r?.kind === 'thr') return r.unit === 'B' ? fmt(x / 1e6) : r.unit === 'cpu' ? fmt(x * 100) : fmtRate(x);
  return fmt(x);
}

function unitOf(cell: Cell): string {
  const r = cell.runs[0];
  if (r?.kind === 'thr') return r.unit === 'B' ? 'MB/s' : r.unit === 'cpu' ? '% of a CPU' : 'msg/s';
  return 'µs';
}

function spreadText(cell: Cell, s: Stat | undefined): string {
  if (!s || cell.runs.length < 2) return '';
  const pct = `${s.spreadPct.toFixed(0)}%`;
  return s.spreadPct > 10 ? `${pct} (${fmtValue(cell, s.min)}–${fmtValue(cell, s.max)})` : pct;
}

const ratio = (x: number | undefined) => (x === undefined ? '' : `${x.toFixed(2)}×`);

/** The median ratio, then (min–max, spread) when there are several. */
function vsCText(cell: Cell): string {
  const s = cell.vsC;
  if (!s) return '';
  if (cell.pairs.length < 2) return ratio(s.median);
  return `${ratio(s.median)} (${s.min.toFixed(2)}–${s.max.toFixed(2)}, ${s.spreadPct.toFixed(0)}%)`;
}

function targetText(cell: Cell): string {
  const ts = cell.targets ?? [];
  if (ts.length === 0) return cell.unsteady ? 'unsteady' : '';
  // Binding at the placements the target names (`same` unless it says); elsewhere in
  // parentheses, for information only.
  return ts.map((t) => (t.binding ? `${t.text} ${t.verdict}` : `(${t.text} ${t.verdict})`)).join('; ');
}

function notesText(cell: Cell): string {
  if (cell.error) return `ERROR: ${cell.error}`;
  const n = cell.notes;
  if (!n) return '';
  return Object.entries(n)
    .filter(([k]) => k !== 'cpus')
    .map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`)
    .join(', ');
}

function markdown(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cols: string[]) => `| ${cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The 1-min load averages of a table's runs, as "min–max". */
function loadText(cells: Cell[]): string {
  const l = cells.flatMap((c) => c.runs.map((r) => r.loadavg));
  if (l.length === 0) return '–';
  const lo = Math.min(...l).toFixed(2);
  const hi = Math.max(...l).toFixed(2);
  return lo === hi ? lo : `${lo}–${hi}`;
}

/** One table: a title with the placements, then one line per row and placement. */
export function renderTable(table: TableId, cells: Cell[], placements: Placement[], reps: number, seconds: number): string {
  const mine = cells.filter((c) => c.row.table === table);
  if (mine.length === 0) return '';
  const rtt = table.endsWith('rtt');
  const title =
    `### ${TABLES[table]}\n\n` +
    `CPU placement (taskset for Node processes and C roles, sched_setaffinity in the C pairs): ` +
    `${placements.map((p) => PLACEMENTS[p].text).join('; ')}. ` +
    `${reps} rep${reps > 1 ? 's' : ''} × ${seconds} s; each run of a row comes right after a run of its C reference at the same placement. ` +
    `${rtt ? 'p50 µs' : 'value'}: median of every run of the row (a reference has one next to each row compared with it); spread = (max−min)/median, range shown above 10 %. ` +
    `vs C: median of the per-rep ratios to the reference run next to it (min–max, spread); ` +
    `a row whose ratios spread more than ${UNSTEADY_PCT} % is unsteady and its targets are not met. vs Node: quotient of the two rows' vs C where they share their C reference, else ratio of medians. ` +
    `1-min loadavg ${loadText(mine)} during these runs.\n`;
  const header = rtt
    ? ['measurement', 'placement', 'p50 µs', 'p99 µs', 'spread', 'vs C', 'vs Node', 'target', 'notes']
    : ['measurement', 'placement', 'value', 'spread', 'vs C', 'vs Node', 'target', 'notes'];
  const lines: string[][] = [];
  const keys = [...new Set(mine.map((c) => c.row.key))];
  for (const key of keys) {
    for (const p of placements) {
      const cell = mine.find((c) => c.row.key === key && c.placement === p);
      if (!cell) continue;
      const v = cell.value ? `${fmtValue(cell, cell.value.median)}${rtt ? '' : ` ${unitOf(cell)}`}` : '–';
      const base = [cell.row.label, p, v];
      if (rtt) base.push(cell.p99 ? fmt(cell.p99.median) : '–');
      lines.push([...base, spreadText(cell, cell.value), vsCText(cell), ratio(cell.vsNode), targetText(cell), notesText(cell)]);
    }
  }
  return `${title}\n${markdown(header, lines)}\n`;
}

/** The targets at the placements each is binding at, one line each. */
export function renderVerdicts(cells: Cell[]): string {
  const out: string[] = [];
  for (const cell of cells) {
    if (!cell.targets) continue;
    for (const t of cell.targets.filter((x) => x.binding)) {
      out.push(
        `${t.verdict.padEnd(8)} ${cell.placement.padEnd(5)} ${cell.row.label}: ${t.text} (vs C ${vsCText(cell) || '–'}${cell.vsNode ? `, vs Node ${ratio(cell.vsNode)}` : ''})`,
      );
    }
  }
  return out.length ? `### Targets (at the placements each is binding at)\n\n\`\`\`\n${out.join('\n')}\n\`\`\`\n` : '';
}
