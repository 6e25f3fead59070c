// rxipc ls and rxipc limits: every System V object on the machine, and the kernel's limits.
import { readdirSync, readlinkSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { MessageQueue, PosixSemaphore, SemaphoreSet, SharedMemory } from '@rxipc/core';

import { keyHex } from './args.js';
import { UsageError } from './errors.js';
import { octal, paint, table, time, useColour, userName } from './output.js';

export const KINDS = ['queues', 'shm', 'sems', 'posix', 'fifos'] as const;
export type Kind = (typeof KINDS)[number];

const ALIASES: Record<string, Kind> = {
  queues: 'queues', queue: 'queues', msg: 'queues', shm: 'shm', sems: 'sems', sem: 'sems', posix: 'posix', fifos: 'fifos', fifo: 'fifos',
};

export function parseKinds(positionals: string[]): Kind[] {
  if (positionals.length === 0) return [...KINDS];
  return positionals.map((p) => {
    const k = ALIASES[p];
    if (!k) throw new UsageError(`unknown kind '${p}': queues, shm, sems, posix or fifos`);
    return k;
  });
}

const perm = (p: { key: number; uid: number; gid: number; cuid: number; cgid: number; mode: number }) => ({
  key: p.key >>> 0,
  keyHex: keyHex(p.key),
  uid: p.uid,
  gid: p.gid,
  cuid: p.cuid,
  cgid: p.cgid,
  mode: p.mode & 0o777,
  perms: octal(p.mode),
});

/** The rows of `ls --json`: stable names, numbers as numbers, times in seconds since the epoch (0 = never). */
export function listing(kinds: Kind[], dir = '.'): Partial<Record<Kind, Array<Record<string, unknown>>>> {
  const out: Partial<Record<Kind, Array<Record<string, unknown>>>> = {};
  for (const kind of kinds) {
    if (kind === 'queues') {
      out.queues = MessageQueue.list().map((q) => ({
        ...perm(q.perm),
        id: q.id,
        qnum: q.qnum,
        cbytes: q.cbytes,
        qbytes: q.qbytes,
        lspid: q.lspid,
        lrpid: q.lrpid,
        stime: q.stime,
        rtime: q.rtime,
        ctime: q.ctime,
      }));
    } else if (kind === 'shm') {
      out.shm = SharedMemory.list().map((s) => ({
        ...perm(s.perm),
        id: s.id,
        size: s.size,
        nattch: s.nattch,
        cpid: s.cpid,
        lpid: s.lpid,
        atime: s.atime,
        dtime: s.dtime,
        ctime: s.ctime,
        removed: s.removed,
        locked: s.locked,
      }));
    } else if (kind === 'posix') {
      out.posix = posixObjects();
    } else if (kind === 'fifos') {
      out.fifos = fifos(dir);
    } else {
      out.sems = SemaphoreSet.list().map((s) => ({
        ...perm(s.perm),
        id: s.id,
        nsems: s.nsems,
        otime: s.otime,
        ctime: s.ctime,
        semaphores: s.semaphores ?? null,
      }));
    }
  }
  return out;
}

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function printListing(data: ReturnType<typeof listing>): string {
  const p = paint(useColour());
  const parts: string[] = [];
  const owner = (r: Row) => userName(r.uid as number);
  if (data.queues) {
    parts.push(
      `${p.bold('Message queues')}\n` +
        table(
          ['KEY', 'ID', 'OWNER', 'PERMS', 'MESSAGES', 'BYTES', 'QBYTES', 'LSPID', 'LRPID', 'LAST-SEND', 'LAST-RECV'],
          data.queues.map((r: Row) => [r.keyHex, String(r.id), owner(r), r.perms, String(r.qnum), String(r.cbytes), String(r.qbytes), String(r.lspid), String(r.lrpid), time(r.stime), time(r.rtime)]),
          { right: [1, 4, 5, 6, 7, 8], paint: p },
        ),
    );
  }
  if (data.shm) {
    parts.push(
      `${p.bold('Shared memory segments')}\n` +
        table(
          ['KEY', 'ID', 'OWNER', 'PERMS', 'SIZE', 'NATTCH', 'CPID', 'LPID', 'LAST-ATTACH', 'LAST-DETACH', 'STATUS'],
          data.shm.map((r: Row) => [
            r.keyHex, String(r.id), owner(r), r.perms, String(r.size), String(r.nattch), String(r.cpid), String(r.lpid), time(r.atime), time(r.dtime),
            [r.removed ? 'dest' : '', r.locked ? 'locked' : ''].filter(Boolean).join(',') || '-',
          ]),
          { right: [1, 4, 5, 6, 7], paint: p },
        ),
    );
  }
  if (data.sems) {
    const list = (r: Row, f: 'value' | 'ncnt' | 'zcnt') => (r.semaphores ? (r.semaphores as Row[]).map((s) => s[f]).join(',') : '?');
    parts.push(
      `${p.bold('Semaphore arrays')}\n` +
        table(
          ['KEY', 'ID', 'OWNER', 'PERMS', 'NSEMS', 'VALUES', 'NCNT', 'ZCNT', 'LAST-OP', 'CHANGED'],
          data.sems.map((r: Row) => [r.keyHex, String(r.id), owner(r), r.perms, String(r.nsems), list(r, 'value'), list(r, 'ncnt'), list(r, 'zcnt'), time(r.otime), time(r.ctime)]),
          { right: [1, 4], paint: p },
        ),
    );
  }
  if (data.posix) {
    parts.push(
      `${p.bold('POSIX shared memory and semaphores (/dev/shm)')}\n` +
        table(
          ['NAME', 'KIND', 'OWNER', 'PERMS', 'SIZE', 'VALUE', 'CHANGED'],
          data.posix.map((r: Row) => [r.name, r.kind, owner(r), r.perms, String(r.size), r.value === null ? '-' : String(r.value), time(r.mtime)]),
          { right: [4, 5], paint: p },
        ),
    );
  }
  if (data.fifos) {
    parts.push(
      `${p.bold('FIFOs')}\n` +
        table(
          ['PATH', 'OWNER', 'PERMS', 'READERS', 'WRITERS', 'CHANGED'],
          data.fifos.map((r: Row) => [r.path, owner(r), r.perms, String(r.readers), String(r.writers), time(r.mtime)]),
          { right: [3, 4], paint: p },
        ),
    );
  }
  return parts.join('\n');
}

/**
 * POSIX objects: /dev/shm/NAME is shared memory `/NAME`, /dev/shm/sem.NAME the named
 * semaphore `/NAME` (glibc's layout). A semaphore's value is read by opening it; null where
 * this user may not.
 */
function posixObjects(): Array<Record<string, unknown>> {
  let names: string[];
  try {
    names = readdirSync('/dev/shm').sort();
  } catch {
    return [];
  }
  const rows: Array<Record<string, unknown>> = [];
  for (const file of names) {
    let st;
    try {
      st = statSync(join('/dev/shm', file));
    } catch {
      continue; // gone meanwhile
    }
    if (!st.isFile()) continue;
    const sem = file.startsWith('sem.');
    const name = `/${sem ? file.slice(4) : file}`;
    let value: number | null = null;
    if (sem) {
      try {
        const s = PosixSemaphore.open(name);
        value = s.value();
        void s.close();
      } catch {
        /* no permission, or gone */
      }
    }
    rows.push({ name, kind: sem ? 'sem' : 'shm', uid: st.uid, gid: st.gid, mode: st.mode & 0o777, perms: octal(st.mode), size: st.size, value, mtime: Math.floor(st.mtimeMs / 1000) });
  }
  return rows;
}

/**
 * The FIFOs in `dir` (not below it), with how many open file descriptions read and write each
 * one now: from /proc/PID/fd and fdinfo, so only the processes this user may see count.
 */
function fifos(dir: string): Array<Record<string, unknown>> {
  const base = resolve(dir);
  const found = new Map<string, { readers: number; writers: number; row: Record<string, unknown> }>();
  for (const e of readdirSync(base, { withFileTypes: true })) {
    if (!e.isFIFO()) continue;
    const path = join(base, e.name);
    try {
      const st = statSync(path);
      found.set(path, { readers: 0, writers: 0, row: { path, uid: st.uid, gid: st.gid, mode: st.mode & 0o777, perms: octal(st.mode), mtime: Math.floor(st.mtimeMs / 1000) } });
    } catch {
      /* gone meanwhile */
    }
  }
  if (found.size > 0) {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        try {
          const f = found.get(readlinkSync(`/proc/${pid}/fd/${fd}`));
          if (!f) continue;
          const flags = Number.parseInt(/flags:\s+([0-7]+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1] ?? '0', 8);
          const acc = flags & 3; // O_RDONLY 0, O_WRONLY 1, O_RDWR 2
          if (acc !== 1) f.readers++;
          if (acc !== 0) f.writers++;
        } catch {
          /* closed meanwhile */
        }
      }
    }
  }
  return [...found.values()].sort((a, b) => String(a.row.path).localeCompare(String(b.row.path))).map((f) => ({ ...f.row, readers: f.readers, writers: f.writers }));
}

export interface LimitRow {
  resource: string;
  description: string;
  used: number | null;
  limit: number;
  percent: number | null;
}

/** The kernel's System V limits with usage, as `lsipc` shows them. */
export function limits(): LimitRow[] {
  const ml = MessageQueue.limits();
  const mu = MessageQueue.usage();
  const sl = SharedMemory.limits();
  const su = SharedMemory.usage();
  const el = SemaphoreSet.limits();
  const eu = SemaphoreSet.usage();
  const row = (resource: string, description: string, used: number | null, limit: number): LimitRow => ({
    resource,
    description,
    used,
    limit,
    percent: used === null || limit <= 0 ? null : Math.round((used / limit) * 10000) / 100,
  });
  return [
    row('MSGMNI', 'Number of message queues', mu.msgpool, ml.msgmni),
    row('MSGMAX', 'Max size of message (bytes)', null, ml.msgmax),
    row('MSGMNB', 'Default max size of queue (bytes)', null, ml.msgmnb),
    row('SHMMNI', 'Shared memory segments', su.usedIds, sl.shmmni),
    row('SHMALL', 'Shared memory pages', su.shmTot, sl.shmall),
    row('SHMMAX', 'Max size of shared memory segment (bytes)', null, sl.shmmax),
    row('SHMMIN', 'Min size of shared memory segment (bytes)', null, sl.shmmin),
    row('SEMMNI', 'Number of semaphore identifiers', eu.semusz, el.semmni),
    row('SEMMNS', 'Total number of semaphores', eu.semaem, el.semmns),
    row('SEMMSL', 'Max semaphores per semaphore set', null, el.semmsl),
    row('SEMOPM', 'Max number of operations per semop(2)', null, el.semopm),
    row('SEMVMX', 'Semaphore max value', null, el.semvmx),
  ];
}

export function printLimits(rows: LimitRow[]): string {
  const p = paint(useColour());
  return table(
    ['RESOURCE', 'DESCRIPTION', 'LIMIT', 'USED', 'USE%'],
    rows.map((r) => [r.resource, r.description, String(r.limit), r.used === null ? '-' : String(r.used), r.percent === null ? '-' : `${r.percent.toFixed(2)}%`]),
    { right: [2, 3, 4], paint: p },
  );
}
