// Medians, spreads, ratios, targets, and the tables they are printed in.
import type { CaseResult } from './meter.js';
import { TABLES, type Row, type TableId, type Target } from './rows.js';

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

export interface Cell {
  row: Row;
  placement: Placement;
  results: CaseResult[];
  /** Throughput (units/s) or p50 (µs). */
  value?: Stat;
  p99?: Stat;
  vsC?: number;
  vsNode?: number;
  /** `binding`: judged at the placement the target is defined for (else shown for information). */
  targets?: Array<{ text: string; met: boolean; binding: boolean }>;
  notes?: Record<string, number | string>;
  error?: string;
}

export function stat(values: number[]): Stat {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  const median = v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
  const min = v[0] as number;
  const max = v[v.length - 1] as number;
  return { median, min, max, spreadPct: median > 0 ? ((max - min) / median) * 100 : 0 };
}

/** Fills value, p99 and notes of a cell from its results. */
export function summarize(cell: Cell): void {
  const rs = cell.results;
  if (rs.length === 0) return;
  const first = rs[0]!;
  if (first.kind === 'thr') {
    cell.value = stat(rs.map((r) => (r.kind === 'thr' ? r.rate : NaN)));
  } else {
    cell.value = stat(rs.map((r) => (r.kind === 'rtt' ? r.p50 : NaN)));
    cell.p99 = stat(rs.map((r) => (r.kind === 'rtt' ? r.p99 : NaN)));
  }
  // Notes of the run closest to the median.
  const key = (r: CaseResult) => (r.kind === 'thr' ? r.rate : r.p50);
  const closest = [...rs].sort((a, b) => Math.abs(key(a) - cell.value!.median) - Math.abs(key(b) - cell.value!.median))[0]!;
  if (closest.notes) cell.notes = closest.notes;
}

/** Ratios and targets, once every cell of the run is summarized. */
export function compare(cells: Cell[]): void {
  const find = (key: string | undefined, placement: Placement) =>
    key === undefined ? undefined : cells.find((c) => c.row.key === key && c.placement === placement)?.value?.median;
  for (const cell of cells) {
    if (!cell.value) continue;
    const c = find(cell.row.refC, cell.placement);
    const n = find(cell.row.refNode, cell.placement);
    if (c) cell.vsC = cell.value.median / c;
    if (n) cell.vsNode = cell.value.median / n;
    if (!cell.row.targets) continue;
    cell.targets = [];
    for (const t of cell.row.targets) {
      const judged = judge(t, cell, t.vs === 'c' ? c : n);
      if (judged) cell.targets.push({ ...judged, binding: (t.at ?? 'same') === cell.placement });
    }
  }
}

function judge(t: Target, cell: Cell, ref: number | undefined): { text: string; met: boolean } | undefined {
  if ('atLeast' in t) {
    const ratio = t.vs === 'c' ? cell.vsC : cell.vsNode;
    if (ratio === undefined) return undefined;
    const met = ratio >= t.atLeast;
    // A miss that rounds to the threshold shows its third digit.
    const close = !met && ratio.toFixed(2) === t.atLeast.toFixed(2) ? ` (${ratio.toFixed(3)})` : '';
    return { text: `≥${t.atLeast.toFixed(2)}×${t.vs === 'c' ? 'C' : 'Node'}${close}`, met };
  }
  if (ref === undefined) return undefined;
  const limit = t.factor * ref + t.plusUs;
  return { text: `≤${t.factor}×${t.vs === 'c' ? 'C' : 'Node'}+${t.plusUs}µs=${fmt(limit)}`, met: cell.value!.median <= limit };
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
  const r = cell.results[0];
  if (r?.kind === 'thr') return r.unit === 'B' ? fmt(x / 1e6) : r.unit === 'cpu' ? fmt(x * 100) : fmtRate(x);
  return fmt(x);
}

function unitOf(cell: Cell): string {
  const r = cell.results[0];
  if (r?.kind === 'thr') return r.unit === 'B' ? 'MB/s' : r.unit === 'cpu' ? '% of a CPU' : 'msg/s';
  return 'µs';
}

function spreadText(cell: Cell, s: Stat | undefined): string {
  if (!s || cell.results.length < 2) return '';
  const pct = `${s.spreadPct.toFixed(0)}%`;
  return s.spreadPct > 10 ? `${pct} (${fmtValue(cell, s.min)}–${fmtValue(cell, s.max)})` : pct;
}

const ratio = (x: number | undefined) => (x === undefined ? '' : `${x.toFixed(2)}×`);

function targetText(cell: Cell): string {
  if (!cell.targets || cell.targets.length === 0) return '';
  // A target is defined at one placement (`same` unless it says); elsewhere it is shown in
  // parentheses, for information only.
  return cell.targets.map((t) => (t.binding ? `${t.text} ${t.met ? 'met' : 'MISSED'}` : `(${t.text} ${t.met ? 'met' : 'MISSED'})`)).join('; ');
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

/** One table: a title with the placements, then one line per row and placement. */
export function renderTable(table: TableId, cells: Cell[], placements: Placement[], reps: number, seconds: number): string {
  const mine = cells.filter((c) => c.row.table === table);
  if (mine.length === 0) return '';
  const rtt = table.endsWith('rtt');
  const title =
    `### ${TABLES[table]}\n\n` +
    `CPU placement (taskset for Node processes and C roles, sched_setaffinity in the C pairs): ` +
    `${placements.map((p) => PLACEMENTS[p].text).join('; ')}. ` +
    `Median of ${reps} run${reps > 1 ? 's' : ''} × ${seconds} s; spread = (max−min)/median, range shown above 10 %.\n`;
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
      lines.push([...base, spreadText(cell, cell.value), ratio(cell.vsC), ratio(cell.vsNode), targetText(cell), notesText(cell)]);
    }
  }
  return `${title}\n${markdown(header, lines)}\n`;
}

/** The targets at the placement each is defined for, one line each. */
export function renderVerdicts(cells: Cell[]): string {
  const out: string[] = [];
  for (const cell of cells) {
    if (!cell.targets) continue;
    for (const t of cell.targets.filter((x) => x.binding)) out.push(`${t.met ? 'met   ' : 'MISSED'}  ${cell.row.label}: ${t.text} (vs C ${ratio(cell.vsC)}${cell.vsNode ? `, vs Node ${ratio(cell.vsNode)}` : ''})`);
  }
  return out.length ? `### Targets (at the placement each is defined for; \`same\` unless marked)\n\n\`\`\`\n${out.join('\n')}\n\`\`\`\n` : '';
}
