#!/usr/bin/env node
// rxipc: see what is inside the System V IPC objects on this machine, and drive them.
// Exit codes: 0 ok, 1 the operation failed, 2 usage.
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { parseInteger, parseTarget } from './args.js';
import { context, make, parseObjectKind, peek, remove, send, tail } from './commands.js';
import { describe, UsageError } from './errors.js';
import { limits, listing, parseKinds, printLimits, printListing } from './list.js';
import { parseFormat, type Out } from './output.js';
import { isOutputClosed, outputClosed } from './stop.js';
import { top } from './top.js';
import { watchShm } from './watch.js';

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  summary: string;
  help: string;
  options: Options;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<void> | void;
}

const out: Out = (s, done) => {
  if (isOutputClosed()) done?.(new Error('stdout closed'));
  else process.stdout.write(s, done);
};
// The reader of a pipe quit (`rxipc peek 1234 | head -1`): stop quietly, never a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') process.stderr.write(`rxipc: ${err.code ?? ''}: ${err.message}\n`);
  outputClosed();
});

const KEYS = `KEY is decimal (1234), hex as ipcs prints it (0x000004d2) or ftok:PATH:ID.`;
const help = { help: { type: 'boolean', short: 'h' } } as const;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const typeOf = (v: unknown) => (v === undefined ? 0 : parseInteger(String(v), 'type', -(2 ** 53 - 1), 2 ** 53 - 1));

const commands: Record<string, Command> = {
  ls: {
    summary: 'list message queues, shared memory segments and semaphore sets',
    help: `usage: rxipc ls [queues|shm|sems|posix|fifos ...] [--dir DIR] [--json]

Every System V object on the machine, whoever owns it (MSG_STAT_ANY, SHM_STAT_ANY,
SEM_STAT_ANY), with its live figures; POSIX shared memory and semaphores (/dev/shm); the
FIFOs in DIR (default: the current directory) with their readers and writers. Without a
kind, all of them. --json prints one object with an array per kind.

example: rxipc ls queues --json`,
    options: { ...help, json: { type: 'boolean' }, dir: { type: 'string' } },
    run(v, pos) {
      const data = listing(parseKinds(pos), str(v.dir) ?? '.');
      out(v.json ? `${JSON.stringify(data, null, 2)}\n` : printListing(data));
    },
  },
  limits: {
    summary: "the kernel's System V limits and how much of each is used",
    help: `usage: rxipc limits [--json]

The limits (IPC_INFO) and system-wide usage (MSG_INFO, SHM_INFO, SEM_INFO), like lsipc.

example: rxipc limits --json`,
    options: { ...help, json: { type: 'boolean' } },
    run(v, pos) {
      if (pos.length) throw new UsageError(`limits takes no arguments`);
      const rows = limits();
      out(v.json ? `${JSON.stringify(rows, null, 2)}\n` : printLimits(rows));
    },
  },
  peek: {
    summary: 'print queued messages without taking them (MSG_COPY)',
    help: `usage: rxipc peek KEY|--id ID [--type T [--except]] [--count N] [--format utf8|hex|json]

Copies messages out of the queue, oldest first, leaving them where they are (msgrcv with
MSG_COPY). #N is the message's position in the queue. --type T shows only type T
(T < 0: types <= |T|; --except: all but T). --format json prints one object per line:
{ index, type, size, text (null unless UTF-8), data (base64) }.
${KEYS}

example: rxipc peek 0x000004d2 --type 3 --count 10 --format hex`,
    options: { ...help, id: { type: 'string' }, type: { type: 'string' }, except: { type: 'boolean' }, count: { type: 'string' }, format: { type: 'string' } },
    async run(v, pos) {
      if (pos.length > 1) throw new UsageError('peek takes one KEY');
      const t = parseTarget(pos[0], str(v.id), 'queue');
      const type = typeOf(v.type);
      if (v.except && type <= 0) throw new UsageError('--except needs a --type > 0');
      const count = v.count === undefined ? Number.MAX_SAFE_INTEGER : parseInteger(String(v.count), 'count', 0, Number.MAX_SAFE_INTEGER);
      await peek(t, { type, except: v.except === true, count, format: parseFormat(str(v.format)) }, out);
    },
  },
  send: {
    summary: 'send a message (or each line of stdin) to a queue',
    help: `usage: rxipc send KEY|--id ID --type T (DATA | --file F | -)

Sends DATA, the bytes of file F, or with '-' each line of stdin as its own message, all of
type T (1 or more). Waits while the queue is full.
${KEYS}

example: echo -e 'one\\ntwo' | rxipc send 1234 --type 1 -`,
    options: { ...help, id: { type: 'string' }, type: { type: 'string' }, file: { type: 'string' } },
    async run(v, pos) {
      const [target, data, ...extra] = str(v.id) !== undefined ? [undefined, ...pos] : pos;
      if (extra.length) throw new UsageError('send takes KEY and one DATA (quote it)');
      const t = parseTarget(target, str(v.id), 'queue');
      if (v.type === undefined) throw new UsageError('send needs --type T');
      const type = parseInteger(String(v.type), 'type', 1, 2 ** 53 - 1);
      const file = str(v.file);
      if ((data === undefined) === (file === undefined)) throw new UsageError('give one of DATA, --file F or - (stdin)');
      await send(t, type, data === '-' ? { stdin: true } : file !== undefined ? { file } : { data });
    },
  },
  rm: {
    summary: 'remove a queue, shared memory segment or semaphore set',
    help: `usage: rxipc rm queue|shm|sem KEY|--id ID

Removes the object (IPC_RMID). Fails if there is none: ENOENT for a key, EINVAL for an id.
${KEYS}

example: rxipc rm queue 0x000004d2`,
    options: { ...help, id: { type: 'string' } },
    async run(v, pos) {
      if (pos.length > 2) throw new UsageError('rm takes a kind and one KEY');
      const kind = parseObjectKind(pos[0]);
      await remove(kind, parseTarget(pos[1], str(v.id), kind === 'queue' ? 'queue' : kind === 'shm' ? 'segment' : 'semaphore set'));
    },
  },
  mk: {
    summary: 'make a queue, shared memory segment or semaphore set and print its id',
    help: `usage: rxipc mk queue|shm|sem [--key K] [--size N] [--count N] [--mode 600]

Makes a new object and prints its id. Without --key it is private (IPC_PRIVATE); with a key
it fails with EEXIST if one exists. shm needs --size (bytes); sem takes --count (default 1).
--mode is octal (default 600).

example: rxipc mk shm --key 0x1234 --size 4096 --mode 640`,
    options: { ...help, key: { type: 'string' }, size: { type: 'string' }, count: { type: 'string' }, mode: { type: 'string' } },
    async run(v, pos) {
      if (pos.length !== 1) throw new UsageError('mk takes one kind: queue, shm or sem');
      const id = await make(parseObjectKind(pos[0]), { key: str(v.key), size: str(v.size), count: str(v.count), mode: str(v.mode) });
      out(`${id}\n`);
    },
  },
  tail: {
    summary: 'take and print messages as they arrive, until Ctrl-C',
    help: `usage: rxipc tail KEY|--id ID [--type T [--except]] [--count N] [--format utf8|hex|json]

Receives messages (consuming them) as they arrive, through @rxipc/rx messages(), filtered
by the kernel: --type T takes only type T (T < 0: the lowest type <= |T| first; --except:
any type but T). Ctrl-C stops cleanly: every message taken is either printed or back in
the queue. --count N stops after N messages.
${KEYS}

example: rxipc tail 1234 --type 2 --format json`,
    options: { ...help, id: { type: 'string' }, type: { type: 'string' }, except: { type: 'boolean' }, count: { type: 'string' }, format: { type: 'string' } },
    async run(v, pos) {
      if (pos.length > 1) throw new UsageError('tail takes one KEY');
      const t = parseTarget(pos[0], str(v.id), 'queue');
      const type = typeOf(v.type);
      if (v.except && type <= 0) throw new UsageError('--except needs a --type > 0');
      const count = v.count === undefined ? Number.MAX_SAFE_INTEGER : parseInteger(String(v.count), 'count', 1, Number.MAX_SAFE_INTEGER);
      await tail(t, { type, except: v.except === true, count, format: parseFormat(str(v.format)) }, out);
    },
  },
  watch: {
    summary: 'a live hex view of a shared memory segment, changed bytes highlighted',
    help: `usage: rxipc watch shm KEY|--id ID [--offset O] [--length L] [--interval MS] [--count N]

Shows the segment's bytes [O, O+L) (default: from 0, up to 1024 bytes) and again each time
they change, polling every MS milliseconds (default 100) through @rxipc/rx shmChanges. On a
terminal the view is redrawn in place, the bytes that changed in inverse video (no colour
with NO_COLOR); piped, each view follows the last. The segment is attached read-only.
Ctrl-C stops; --count N stops after N views.
${KEYS}

example: rxipc watch shm 0x00005eed --offset 64 --length 128 --interval 50`,
    options: { ...help, id: { type: 'string' }, offset: { type: 'string' }, length: { type: 'string' }, interval: { type: 'string' }, count: { type: 'string' } },
    async run(v, pos) {
      if (pos[0] !== 'shm') throw new UsageError(pos[0] === undefined ? 'watch what? rxipc watch shm KEY' : `cannot watch '${pos[0]}': only shm`);
      if (pos.length > 2) throw new UsageError('watch shm takes one KEY');
      const t = parseTarget(pos[1], str(v.id), 'segment');
      await watchShm(
        t,
        {
          offset: v.offset === undefined ? 0 : parseInteger(String(v.offset), 'offset', 0, Number.MAX_SAFE_INTEGER),
          length: v.length === undefined ? undefined : parseInteger(String(v.length), 'length', 1, 1 << 20),
          interval: v.interval === undefined ? 100 : parseInteger(String(v.interval), 'interval', 1, 3_600_000),
          count: v.count === undefined ? Number.MAX_SAFE_INTEGER : parseInteger(String(v.count), 'count', 1, Number.MAX_SAFE_INTEGER),
        },
        out,
      );
    },
  },
  top: {
    summary: 'a live table of the message queues: depth, fill, rates',
    help: `usage: rxipc top [--interval MS] [--count N]

Every message queue on the machine, refreshed every MS milliseconds (default 1000), the
deepest first: messages, bytes, FILL (bytes / qbytes), and rates from the depth's change:
IN/s and OUT/s are lower bounds on sends and receives (the kernel counts neither per queue),
NET/s is exact; SENT and RECEIVED say how long ago the last one was. On a terminal the table
is redrawn in place and q quits; piped, one table per refresh. --count N stops after N.

example: rxipc top --interval 500`,
    options: { ...help, interval: { type: 'string' }, count: { type: 'string' } },
    async run(v, pos) {
      if (pos.length) throw new UsageError('top takes no arguments');
      await top(
        {
          interval: v.interval === undefined ? 1000 : parseInteger(String(v.interval), 'interval', 10, 3_600_000),
          count: v.count === undefined ? Number.MAX_SAFE_INTEGER : parseInteger(String(v.count), 'count', 1, Number.MAX_SAFE_INTEGER),
        },
        out,
      );
    },
  },
};

const USAGE = `usage: rxipc <command> [options]

commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(8)}${c.summary}`)
  .join('\n')}

rxipc <command> --help shows a command's options and an example.
Exit codes: 0 ok, 1 the operation failed, 2 usage.

example: rxipc ls queues`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const cmd = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    process.stderr.write(`rxipc: unknown command '${name}'\n${USAGE}\n`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
    if (values.help) {
      out(`${cmd.help}\n`);
      return 0;
    }
    await cmd.run(values as Record<string, string | boolean | undefined>, positionals);
    return 0;
  } catch (err) {
    const { line, exitCode } = describe(err, context.object);
    process.stderr.write(`rxipc: ${line}\n`);
    if (exitCode === 2) process.stderr.write(`see: rxipc ${name} --help\n`);
    return exitCode;
  }
}

process.exitCode = await main(process.argv.slice(2));
