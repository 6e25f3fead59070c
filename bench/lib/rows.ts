// Every row the benchmark can print: what it measures, how it is run, what it is compared
// with, and the targets the issues set for it, with the placements they are judged at.

export type Family = 'pipe' | 'fifo' | 'msg' | 'shm' | 'sem' | 'sock';
export type TableId = 'stream.thr' | 'stream.rtt' | 'msg.thr' | 'msg.rtt' | 'shm.rtt' | 'shm.thr' | 'shm.cpu' | 'sem.rtt' | 'sock.thr' | 'sock.rtt' | 'sock.fd';
export type Who = 'rxipc' | 'node' | 'c';

/**
 * A bound on a ratio. Throughput: value / reference >= atLeast. Round trip: p50 / the
 * reference's p50 <= atMost. `vs: 'c'` is the median of the per-rep ratios of runs
 * interleaved with refC's; `vs: 'node'` is vs C over the Node reference's vs C when both
 * have the same refC, else a ratio of medians (refNode's runs are not interleaved with this row's).
 * Binding at the placements in `at` (default `same` only); other placements show it for
 * information. A binding target of a row whose C ratios spread more than 20 % is not met
 * (UNSTEADY), whatever the median says.
 */
export type Target = ({ vs: 'c' | 'node'; atLeast: number } | { vs: 'c' | 'node'; atMost: number }) & { at?: ReadonlyArray<'same' | 'cross'> };

/** Both placements, for the targets the issues state "at same and cross". */
const BOTH = ['same', 'cross'] as const;

/** Arguments of a C pair program run by the orchestrator. */
export interface CArgs {
  size: number;
  total: number;
  warm: number;
  /** "P,C": CPUs of the parent and the forked child (-1: not pinned). */
  affinity: string;
  dir: string;
  qid: number | undefined;
  shmid: number | undefined;
  semid: number | undefined;
}

export interface Row {
  key: string;
  table: TableId;
  family: Family;
  who: Who;
  /** What is measured, as printed. */
  label: string;
  size: number;
  /** A C pair program, or a Node case (`caseJs`: another checkout's bench/dist/case.js, for --baseline). */
  run: { c: 'pipebench' | 'msgqbench' | 'shmbench' | 'sembench' | 'sockbench'; args: (a: CArgs) => string[] } | { node: string; caseJs?: string };
  needsQueue?: boolean;
  /** A 2 MiB IPC_PRIVATE segment for the run (ctx.shmid / -i). */
  needsSegment?: boolean;
  /** A semaphore set of 3 (IPC_PRIVATE, all 0), made and removed by the orchestrator. */
  needsSem?: boolean;
  /**
   * The C reference: each run of this row comes right after a run of refC at the same
   * placement (ref, row, ref, row, ... one pair per rep), and `vs C` is the median of the
   * pairs' ratios.
   */
  refC?: string;
  /** How refC is called in target texts; default `C`. */
  refCName?: string;
  /**
   * The Node reference. Its runs are not interleaved with this row's: `vs Node` goes through
   * the C reference when both rows have the same refC, else it is a ratio of medians.
   */
  refNode?: string;
  targets?: Target[];
}

const KiB = 1024;
const THR = 64 * KiB;
const RTT = 64;

const cPipe = (kind: 'pipe' | 'fifo', mode: 'thr' | 'lat') => (a: CArgs) => [
  `pair-${mode}`, '-k', kind, '-s', String(a.size), '-t', String(a.total), '-w', String(a.warm), '-a', a.affinity, '-d', a.dir,
];
const cMsg = (mode: 'thr' | 'lat' | 'model') => (a: CArgs) => [
  `pair-${mode}`, '-q', String(a.qid), '-s', String(a.size), '-t', String(a.total), '-w', String(a.warm), '-a', a.affinity,
];

const streamTargets: Target[] = [
  { vs: 'node', atLeast: 0.9 },
  { vs: 'c', atLeast: 0.8 },
];
/** Reading 64 KiB from a C writer (issue 8): >= 0.8 x C at both placements, spread under 20 %. */
const readTargets: Target[] = [
  { vs: 'node', atLeast: 0.9 },
  { vs: 'c', atLeast: 0.8, at: BOTH },
];

const streamThr: Row[] = [
  { key: 'c.pipe.thr', family: 'pipe', who: 'c', label: 'C writer → C reader, pipe (fork)', run: { c: 'pipebench', args: cPipe('pipe', 'thr') } },
  { key: 'c.fifo.thr', family: 'fifo', who: 'c', label: 'C writer → C reader, FIFO', run: { c: 'pipebench', args: cPipe('fifo', 'thr') }, refC: 'c.pipe.thr' },
  {
    key: 'rxipc.pipe.recv', family: 'pipe', who: 'rxipc', label: 'C writer → rxipc createPipe() reader',
    run: { node: 'rxipc.pipe.recv' }, refC: 'c.pipe.thr', refNode: 'node.fifo.socket.recv', targets: readTargets,
  },
  {
    key: 'rxipc.fifo.recv', family: 'fifo', who: 'rxipc', label: 'C writer → rxipc Fifo.openReadable()',
    run: { node: 'rxipc.fifo.recv' }, refC: 'c.pipe.thr', refNode: 'node.fifo.socket.recv', targets: readTargets,
  },
  { key: 'node.fifo.socket.recv', family: 'fifo', who: 'node', label: 'C writer → Node net.Socket on FIFO fd', run: { node: 'node.fifo.socket.recv' }, refC: 'c.pipe.thr' },
  {
    key: 'node.fifo.onread.recv', family: 'fifo', who: 'node', label: 'C writer → Node net.Socket onread, 1 static buffer',
    run: { node: 'node.fifo.onread.recv' }, refC: 'c.pipe.thr', refNode: 'node.fifo.socket.recv',
  },
  { key: 'node.fifo.readstream.recv', family: 'fifo', who: 'node', label: 'C writer → Node fs.createReadStream(FIFO)', run: { node: 'node.fifo.readstream.recv' }, refC: 'c.pipe.thr', refNode: 'node.fifo.socket.recv' },
  { key: 'node.stdio.recv', family: 'pipe', who: 'node', label: 'C writer → Node child.stdout (socketpair)', run: { node: 'node.stdio.recv' }, refC: 'c.pipe.thr', refNode: 'node.fifo.socket.recv' },
  {
    key: 'rxipc.pipe.pair', family: 'pipe', who: 'rxipc', label: 'rxipc writableFromFd() → rxipc createPipe()',
    run: { node: 'rxipc.pipe.pair' }, refC: 'c.pipe.thr', refNode: 'node.fifo.socket.pair', targets: streamTargets,
  },
  {
    key: 'rxipc.fifo.pair', family: 'fifo', who: 'rxipc', label: 'rxipc Fifo.openWritable() → openReadable()',
    run: { node: 'rxipc.fifo.pair' }, refC: 'c.pipe.thr', refNode: 'node.fifo.socket.pair', targets: streamTargets,
  },
  { key: 'node.fifo.socket.pair', family: 'fifo', who: 'node', label: 'Node net.Socket FIFO → net.Socket FIFO', run: { node: 'node.fifo.socket.pair' }, refC: 'c.pipe.thr' },
  {
    key: 'rxipc.pipe.send', family: 'pipe', who: 'rxipc', label: 'rxipc createPipe() writer → C reader',
    run: { node: 'rxipc.pipe.send' }, refC: 'c.pipe.thr', targets: [{ vs: 'c', atLeast: 0.8 }],
  },
].map((r) => ({ ...r, table: 'stream.thr' as const, size: THR }) as Row);

const streamRtt: Row[] = [
  { key: 'c.pipe.rtt', family: 'pipe', who: 'c', label: 'C ↔ C, two pipes (fork)', run: { c: 'pipebench', args: cPipe('pipe', 'lat') } },
  { key: 'c.fifo.rtt', family: 'fifo', who: 'c', label: 'C ↔ C, two FIFOs', run: { c: 'pipebench', args: cPipe('fifo', 'lat') }, refC: 'c.pipe.rtt' },
  { key: 'rxipc.pipe.rtt', family: 'pipe', who: 'rxipc', label: 'rxipc ↔ rxipc, createPipe() ×2', run: { node: 'rxipc.pipe.rtt' }, refC: 'c.pipe.rtt', refNode: 'node.fifo.socket.rtt' },
  { key: 'rxipc.fifo.rtt', family: 'fifo', who: 'rxipc', label: 'rxipc ↔ rxipc, Fifo ×2', run: { node: 'rxipc.fifo.rtt' }, refC: 'c.pipe.rtt', refNode: 'node.fifo.socket.rtt' },
  { key: 'node.fifo.socket.rtt', family: 'fifo', who: 'node', label: 'Node ↔ Node, net.Socket FIFO ×2', run: { node: 'node.fifo.socket.rtt' }, refC: 'c.pipe.rtt' },
  { key: 'node.stdio.rtt', family: 'pipe', who: 'node', label: 'Node ↔ Node, child stdin/stdout', run: { node: 'node.stdio.rtt' }, refC: 'c.pipe.rtt', refNode: 'node.fifo.socket.rtt' },
].map((r) => ({ ...r, table: 'stream.rtt' as const, size: RTT }) as Row);

const MSG_SIZES = [64, KiB, 8 * KiB];
const sizeName = (n: number) => (n >= KiB ? `${n / KiB} KiB` : `${n} B`);

const msgThr: Row[] = MSG_SIZES.flatMap((size) => {
  const c = `c.msg.thr.${size}`;
  // Receiving: >= 0.75 x C at 64 B (issue 3, at same), >= 0.6 x C at 8 KiB (issue 8, at both
  // placements); sending: >= 0.7 x C at 64 B (issue 8: at both placements).
  const recv: Target[] | undefined = size === 64 ? [{ vs: 'c', atLeast: 0.75 }] : size === 8 * KiB ? [{ vs: 'c', atLeast: 0.6, at: BOTH }] : undefined;
  const send: Target[] | undefined = size === 64 ? [{ vs: 'c', atLeast: 0.7, at: BOTH }] : undefined;
  const rows: Array<Omit<Row, 'table' | 'family' | 'size' | 'needsQueue'>> = [
    { key: c, who: 'c', label: `C msgsnd → C msgrcv, ${sizeName(size)}`, run: { c: 'msgqbench', args: cMsg('thr') } },
    { key: `rxipc.msg.rx.${size}`, who: 'rxipc', label: `C → rx messages(q) subscriber, ${sizeName(size)}`, run: { node: 'rxipc.msg.rx' }, refC: c, ...(recv ? { targets: recv } : {}) },
    { key: `rxipc.msg.stream.${size}`, who: 'rxipc', label: `C → createReadStream() 'data', ${sizeName(size)}`, run: { node: 'rxipc.msg.stream' }, refC: c, ...(recv ? { targets: recv } : {}) },
    { key: `rxipc.msg.trysend.${size}`, who: 'rxipc', label: `rxipc trySend()/send() → C, ${sizeName(size)}`, run: { node: 'rxipc.msg.trysend' }, refC: c, ...(send ? { targets: send } : {}) },
  ];
  // The write stream is measured where the target is (64 B), to keep the default run short.
  if (size === 64) {
    rows.push({ key: `rxipc.msg.wstream.${size}`, who: 'rxipc', label: `rxipc createWriteStream() → C, ${sizeName(size)}`, run: { node: 'rxipc.msg.wstream' }, refC: c, ...(send ? { targets: send } : {}) });
    rows.push({ key: `rxipc.msg.wstream.cork.${size}`, who: 'rxipc', label: `rxipc write stream, cork×256 → C, ${sizeName(size)}`, run: { node: 'rxipc.msg.wstream.cork' }, refC: c });
  }
  return rows.map((r) => ({ ...r, table: 'msg.thr' as const, family: 'msg' as const, size, needsQueue: true }));
});

// The C model of the design is the reference of the rxipc rows: its `vs C` (against C ↔ C)
// is what the design costs, theirs (against the model) what rxipc adds on top (issue 8).
const msgRtt: Row[] = [
  { key: 'c.msg.rtt', who: 'c', label: 'C ↔ C, types 1/2 on one queue', run: { c: 'msgqbench', args: cMsg('lat') } },
  {
    key: 'c.msg.rtt.model', who: 'c', label: 'C model of the design (waiter thread + eventfd + epoll) ↔ C ponger',
    run: { c: 'msgqbench', args: cMsg('model') }, refC: 'c.msg.rtt',
  },
  {
    key: 'rxipc.msg.rtt', who: 'rxipc', label: 'rxipc ↔ rxipc, messages() + trySend()', run: { node: 'rxipc.msg.rtt' },
    refC: 'c.msg.rtt.model', refCName: 'C model', targets: [{ vs: 'c', atMost: 2, at: BOTH }],
  },
  {
    key: 'rxipc.msg.rtt.cpong', who: 'rxipc', label: 'rxipc ↔ C ponger (one rxipc side)', run: { node: 'rxipc.msg.rtt.cpong' },
    refC: 'c.msg.rtt.model', refCName: 'C model', targets: [{ vs: 'c', atMost: 1.5, at: BOTH }],
  },
  {
    key: 'rxipc.msg.rtt.spin', who: 'rxipc', label: 'rxipc ↔ rxipc, latency mode (spin 100 µs both sides)', run: { node: 'rxipc.msg.rtt.spin' },
    refC: 'c.msg.rtt.model', refCName: 'C model',
  },
  {
    key: 'rxipc.msg.rtt.cpong.spin', who: 'rxipc', label: 'rxipc ↔ C ponger, latency mode (spin 100 µs)', run: { node: 'rxipc.msg.rtt.cpong.spin' },
    refC: 'c.msg.rtt.model', refCName: 'C model',
  },
].map((r) => ({ ...r, table: 'msg.rtt' as const, family: 'msg' as const, size: RTT, needsQueue: true }) as Row);

const cShm = (role: 'pair-lat' | 'memcpy') => (a: CArgs) => [
  role, '-i', String(a.shmid), '-s', String(a.size), '-t', String(a.total), '-w', String(a.warm), '-a', a.affinity,
];
const MiB = 1024 * KiB;

const shmRows: Row[] = [
  { key: 'c.shm.rtt', table: 'shm.rtt', size: RTT, who: 'c', label: 'C ↔ C, seqlock records + futex (fork)', run: { c: 'shmbench', args: cShm('pair-lat') } },
  {
    key: 'rxipc.shm.rtt', table: 'shm.rtt', size: RTT, who: 'rxipc', label: 'rxipc ↔ rxipc, publish() + shmChanges(notify)', run: { node: 'rxipc.shm.rtt' },
    refC: 'c.shm.rtt', targets: [{ vs: 'c', atMost: 2, at: ['cross'] }],
  },
  { key: 'rxipc.shm.rtt.cpong', table: 'shm.rtt', size: RTT, who: 'rxipc', label: 'rxipc ↔ C ponger (one rxipc side)', run: { node: 'rxipc.shm.rtt.cpong' }, refC: 'c.shm.rtt' },
  { key: 'c.shm.write', table: 'shm.thr', size: MiB, who: 'c', label: 'C memcpy of 1 MiB into the segment', run: { c: 'shmbench', args: cShm('memcpy') } },
  {
    key: 'rxipc.shm.write', table: 'shm.thr', size: MiB, who: 'rxipc', label: 'rxipc shm.buffer.set() of 1 MiB', run: { node: 'rxipc.shm.write' },
    refC: 'c.shm.write', targets: [{ vs: 'c', atLeast: 0.8 }],
  },
  { key: 'rxipc.shm.poll.4k', table: 'shm.cpu', size: 4 * KiB, who: 'rxipc', label: 'one idle shmChanges watcher, 4 KiB every 1 ms', run: { node: 'rxipc.shm.poll' } },
  { key: 'rxipc.shm.poll.1m', table: 'shm.cpu', size: MiB, who: 'rxipc', label: 'one idle shmChanges watcher, 1 MiB every 1 ms', run: { node: 'rxipc.shm.poll' } },
].map((r) => ({ ...r, family: 'shm' as const, needsSegment: true }) as Row);

const cSem = (a: CArgs) => ['pair-lat', '-m', String(a.semid), '-t', String(a.total), '-w', String(a.warm), '-a', a.affinity];

const semRtt: Row[] = [
  { key: 'c.sem.rtt', who: 'c', label: 'C ↔ C, semop ping-pong on two semaphores (fork)', run: { c: 'sembench', args: cSem } },
  { key: 'rxipc.sem.rtt', who: 'rxipc', label: 'rxipc ↔ rxipc, release() + await acquire()', run: { node: 'rxipc.sem.rtt' }, refC: 'c.sem.rtt' },
  { key: 'rxipc.sem.rtt.cpong', who: 'rxipc', label: 'rxipc ↔ C ponger (one rxipc side)', run: { node: 'rxipc.sem.rtt.cpong' }, refC: 'c.sem.rtt' },
].map((r) => ({ ...r, table: 'sem.rtt' as const, family: 'sem' as const, size: 0, needsSem: true }) as Row);

// Unix sockets (issue 9). Targets: stream pairs >= 0.8 x Node's net unix stream socket, message
// sockets (seqpacket, dgram) >= 0.5 x C; for a round trip, ">= 0.5 x C" reads as a p50 of at
// most 2 x C's, and ">= 0.8 x Node" as at most 1/0.8 = 1.25 x Node's.
type SockKind = 'stream' | 'seqpacket' | 'dgram';
const SOCK_KINDS: SockKind[] = ['seqpacket', 'dgram', 'stream'];
const cSock = (role: 'pair-thr' | 'pair-lat' | 'fd-pair', kind?: SockKind) => (a: CArgs) => [
  role, ...(kind ? ['-k', kind] : []), '-s', String(a.size), '-t', String(a.total), '-w', String(a.warm), '-a', a.affinity,
];

const sockThr: Row[] = [64, THR].flatMap((size) => {
  const node = `node.sock.net.recv.${size}`;
  const rows: Array<Omit<Row, 'table' | 'family' | 'size'>> = [];
  for (const kind of SOCK_KINDS) {
    rows.push({ key: `c.sock.${kind}.thr.${size}`, who: 'c', label: `C writer → C reader, ${kind} pair, ${sizeName(size)}`, run: { c: 'sockbench', args: cSock('pair-thr', kind) } });
  }
  for (const kind of SOCK_KINDS) {
    const stream = kind === 'stream';
    rows.push({
      key: `rxipc.sock.${kind}.recv.${size}`, who: 'rxipc', label: `C writer → rxipc socketPair({ type: '${kind}' }), ${sizeName(size)}`,
      run: { node: `rxipc.sock.${kind}.recv` }, refC: `c.sock.${kind}.thr.${size}`, refNode: node,
      targets: stream ? [{ vs: 'node', atLeast: 0.8 }] : [{ vs: 'c', atLeast: 0.5 }],
    });
  }
  rows.push({ key: node, who: 'node', label: `C writer → Node net.Socket (net.Server on a path), ${sizeName(size)}`, run: { node: 'node.sock.net.recv' }, refC: `c.sock.stream.thr.${size}` });
  return rows.map((r) => ({ ...r, table: 'sock.thr' as const, family: 'sock' as const, size }));
});

const sockRtt: Row[] = [
  ...SOCK_KINDS.map((kind) => ({ key: `c.sock.${kind}.rtt`, who: 'c' as const, label: `C ↔ C, ${kind} pair (fork)`, run: { c: 'sockbench' as const, args: cSock('pair-lat', kind) } })),
  ...SOCK_KINDS.map((kind) => ({
    key: `rxipc.sock.${kind}.rtt`, who: 'rxipc' as const, label: `rxipc socketPair({ type: '${kind}' }) ↔ C echo`, run: { node: `rxipc.sock.${kind}.rtt` },
    refC: `c.sock.${kind}.rtt`, refNode: 'node.sock.net.rtt',
    targets: kind === 'stream' ? [{ vs: 'node' as const, atMost: 1.25 }] : [{ vs: 'c' as const, atMost: 2 }],
  })),
  { key: 'node.sock.net.rtt', who: 'node' as const, label: 'Node net.Socket (net.Server on a path) ↔ C echo', run: { node: 'node.sock.net.rtt' }, refC: 'c.sock.stream.rtt' },
].map((r) => ({ ...r, table: 'sock.rtt' as const, family: 'sock' as const, size: RTT }) as Row);

const sockFd: Row[] = [
  { key: 'c.sock.fd', who: 'c', label: 'C → C, one fd per seqpacket message, receiver closes it (fork)', run: { c: 'sockbench', args: cSock('fd-pair') } },
  { key: 'rxipc.sock.fd.recv', who: 'rxipc', label: 'C → rxipc seqpacket socketPair, takeFds() + close', run: { node: 'rxipc.sock.fd.recv' }, refC: 'c.sock.fd' },
].map((r) => ({ ...r, table: 'sock.fd' as const, family: 'sock' as const, size: 2 }) as Row);

export const ROWS: Row[] = [...streamThr, ...streamRtt, ...msgThr, ...msgRtt, ...shmRows, ...semRtt, ...sockThr, ...sockRtt, ...sockFd];

export const TABLES: Record<TableId, string> = {
  'stream.thr': 'Pipes & FIFOs: one-way throughput, 64 KiB chunks (MB/s = 10^6 B/s, measured at the reader)',
  'stream.rtt': 'Pipes & FIFOs: round trip, 64 B (p50 and p99 in µs; ratios are of p50, lower is better)',
  'msg.thr': 'System V message queues: one-way messages/s (counted at the receiver)',
  'msg.rtt': 'System V message queues: round trip, 64 B (µs; ratios are of p50, lower is better; the rxipc rows are compared with the C model)',
  'shm.rtt': 'Shared memory: change-notification round trip through two records, 64 B (µs; ratios are of p50, lower is better)',
  'shm.thr': 'Shared memory: write bandwidth into a System V segment, 1 MiB copies (MB/s = 10^6 B/s)',
  'shm.cpu': 'Shared memory: CPU cost of one polling watcher with nothing changing (percent of one CPU; lower is better; no peer)',
  'sem.rtt': 'System V semaphores: acquire/release round trip between two processes (µs; ratios are of p50, lower is better)',
  'sock.thr': 'Unix sockets: one-way throughput, messages of 64 B and 64 KiB per second (stream readers count bytes / size), measured at the reader',
  'sock.rtt': 'Unix sockets: round trip, 64 B (µs; ratios are of p50, lower is better)',
  'sock.fd': 'Unix sockets: descriptor passing, fds per second (shown as msg/s: one fd per message), counted at the receiver',
};

/** The rows of `families`, plus every row they are compared with. */
export function selectRows(families: Family[], filter: string | undefined): Row[] {
  const byKey = new Map(ROWS.map((r) => [r.key, r]));
  const chosen = new Set<string>();
  for (const r of ROWS) {
    if (!families.includes(r.family)) continue;
    if (filter && !r.key.includes(filter)) continue;
    chosen.add(r.key);
    if (r.refC) chosen.add(r.refC);
    if (r.refNode) chosen.add(r.refNode);
  }
  return ROWS.filter((r) => chosen.has(r.key) && byKey.has(r.key));
}
