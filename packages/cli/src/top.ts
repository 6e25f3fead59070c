// rxipc top: a live table of the machine's message queues.
import { MessageQueue, type MessageQueueInfo } from '@rxipc/core';

import { keyHex } from './args.js';
import { paint, table, useColour, userName, type Out } from './output.js';
import { onStop } from './stop.js';

export interface TopOptions {
  interval: number;
  /** Stop after this many refreshes. */
  count: number;
}

/** How long ago, compactly: 0.4s, 12s, 5m, 3h, or '-' for never. */
function ago(seconds: number, now: number): string {
  if (!seconds) return '-';
  const d = Math.max(0, now - seconds);
  if (d < 60) return `${Math.round(d)}s`;
  if (d < 3600) return `${Math.floor(d / 60)}m`;
  return `${Math.floor(d / 3600)}h`;
}

/**
 * The table of one refresh. The kernel keeps no per-queue send or receive counters, only the
 * depth and the last send/receive times: so the rates are what the depth says. IN/s is a lower
 * bound on sends (the depth's growth), OUT/s on receives (its fall); NET/s is exact.
 */
function render(rows: MessageQueueInfo[], before: Map<number, MessageQueueInfo>, dt: number, interval: number): string {
  const now = Date.now() / 1000;
  const p = paint(useColour());
  const rate = (n: number) => (dt > 0 ? (n / dt).toFixed(1) : '-');
  const sorted = [...rows].sort((a, b) => b.qnum - a.qnum || a.id - b.id);
  const body = sorted.map((q) => {
    const prev = before.get(q.id);
    const delta = prev ? q.qnum - prev.qnum : 0;
    const fill = q.qbytes > 0 ? (q.cbytes / q.qbytes) * 100 : 0;
    const fillText = `${fill.toFixed(1)}%`;
    return [
      keyHex(q.perm.key),
      String(q.id),
      userName(q.perm.uid),
      String(q.qnum),
      String(q.cbytes),
      fill >= 90 ? p.red(fillText) : fillText,
      prev ? rate(Math.max(0, delta)) : '-',
      prev ? rate(Math.max(0, -delta)) : '-',
      prev ? rate(delta) : '-',
      ago(q.stime, now),
      ago(q.rtime, now),
    ];
  });
  const head = `rxipc top: ${rows.length} message queue${rows.length === 1 ? '' : 's'}, every ${interval} ms  (${new Date().toISOString().slice(11, 19)} UTC)`;
  return `${p.bold(head)}\n${table(['KEY', 'ID', 'OWNER', 'MESSAGES', 'BYTES', 'FILL', 'IN/s', 'OUT/s', 'NET/s', 'SENT', 'RECEIVED'], body, { right: [1, 3, 4, 5, 6, 7, 8, 9, 10], paint: p })}`;
}

/**
 * Refreshes every `interval` ms. On a terminal: redrawn in place, `q` (or Ctrl-C) quits, the
 * terminal restored on the way out. Piped: one table per refresh.
 */
export async function top(o: TopOptions, out: Out): Promise<void> {
  const tty = process.stdout.isTTY === true;
  const keys = process.stdin.isTTY === true;
  let before = new Map<number, MessageQueueInfo>();
  let last = 0;
  let refreshes = 0;
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onKey = (b: Buffer) => {
      if (b.includes(0x71) || b.includes(0x51) || b.includes(0x03)) stop(); // q, Q, Ctrl-C in raw mode
    };
    let stopped = false;
    const stop = (err?: unknown) => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      off();
      if (keys) {
        process.stdin.off('data', onKey);
        process.stdin.setRawMode(false);
        process.stdin.pause();
      }
      if (err) reject(err);
      else resolve();
    };
    const off = onStop(() => stop());
    if (keys) {
      process.stdin.setRawMode(true);
      process.stdin.on('data', onKey);
      process.stdin.resume();
    }
    const tick = () => {
      try {
        const rows = MessageQueue.list();
        const now = performance.now();
        const text = render(rows, before, last ? (now - last) / 1000 : 0, o.interval);
        out(tty ? `\x1b[H\x1b[2J${text}${keys ? '\nq quits\n' : ''}` : `${text}\n`);
        before = new Map(rows.map((r) => [r.id, r]));
        last = now;
        refreshes++;
        if (refreshes >= o.count) return stop();
        timer = setTimeout(tick, o.interval);
      } catch (e) {
        stop(e);
      }
    };
    tick();
  });
}
