// Properties of MessageQueue against the real kernel:
//   (a) model-based: random sends / receives / stats behave like an in-memory model of
//       Linux's rules (including EAGAIN when full);
//   (b) any payload of 0..msgmax bytes and any type 1..2^53-1 round-trips byte-identical;
//   (d) for any queue contents and any selector, tryReceive returns exactly the message
//       Linux's type selection predicts, and leaves the rest in order;
//   and any invalid send is refused with a RangeError/TypeError, enqueuing nothing.
import { readFileSync } from 'node:fs';

import { MessageQueue } from '@rxipc/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { drain, useQueues } from '../../../../test/support/ipc.js';

const queues = useQueues();
const msgmax = Number(readFileSync('/proc/sys/kernel/msgmax', 'utf8'));

interface Msg {
  type: number;
  data: Uint8Array;
}
interface Selector {
  type: number;
  except?: boolean;
}

/** Linux find_msg(): the index of the message msgrcv(msgtyp, MSG_EXCEPT?) takes, or -1. */
function select(queue: readonly Msg[], sel: Selector): number {
  if (sel.type === 0) return queue.length > 0 ? 0 : -1;
  if (sel.type > 0) return queue.findIndex((m) => (sel.except ? m.type !== sel.type : m.type === sel.type));
  // Negative: the lowest type <= |type|, the first of those (FIFO among equals).
  let best = -1;
  queue.forEach((m, i) => {
    if (m.type <= -sel.type && (best === -1 || m.type < queue[best]!.type)) best = i;
  });
  return best;
}

// Few distinct types, so selectors often match, miss, and tie.
const smallType = fc.integer({ min: 1, max: 6 });
const selectorArb: fc.Arbitrary<Selector> = fc.oneof(
  fc.constant({ type: 0 }),
  smallType.map((type) => ({ type })),
  smallType.map((type) => ({ type: -type })),
  smallType.map((type) => ({ type, except: true })),
);

// ---- (a) model-based ----

interface Model {
  messages: Msg[];
  /** msg_qbytes: the queue takes a message while cbytes + size <= qbytes and qnum + 1 <= qbytes. */
  qbytes: number;
}
const cbytes = (m: Model) => m.messages.reduce((n, x) => n + x.data.length, 0);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

class SendCommand implements fc.Command<Model, MessageQueue> {
  constructor(
    readonly type: number,
    readonly data: Uint8Array,
  ) {}
  check = () => true;
  run(model: Model, q: MessageQueue): void {
    const fits = cbytes(model) + this.data.length <= model.qbytes && model.messages.length + 1 <= model.qbytes;
    expect(q.trySend(this.type, this.data)).toBe(fits);
    if (fits) model.messages.push({ type: this.type, data: this.data });
  }
  toString = () => `trySend(${this.type}, ${this.data.length} bytes)`;
}

class ReceiveCommand implements fc.Command<Model, MessageQueue> {
  constructor(readonly sel: Selector) {}
  check = () => true;
  run(model: Model, q: MessageQueue): void {
    const i = select(model.messages, this.sel);
    const got = q.tryReceive(this.sel);
    if (i === -1) {
      expect(got).toBeUndefined();
      return;
    }
    const [want] = model.messages.splice(i, 1);
    expect(got && { type: got.type, data: hex(got.data) }).toEqual({ type: want!.type, data: hex(want!.data) });
  }
  toString = () => `tryReceive(${JSON.stringify(this.sel)})`;
}

class StatCommand implements fc.Command<Model, MessageQueue> {
  check = () => true;
  run(model: Model, q: MessageQueue): void {
    const s = q.stat();
    expect({ qnum: s.qnum, cbytes: s.cbytes, qbytes: s.qbytes }).toEqual({
      qnum: model.messages.length,
      cbytes: cbytes(model),
      qbytes: model.qbytes,
    });
  }
  toString = () => 'stat()';
}

const commands = [
  fc.tuple(smallType, fc.uint8Array({ maxLength: 24 })).map(([t, d]) => new SendCommand(t, d)),
  selectorArb.map((s) => new ReceiveCommand(s)),
  fc.constant(new StatCommand()),
];

describe('MessageQueue vs a model of the kernel', () => {
  it('(a) any sequence of trySend / tryReceive / stat agrees with the model', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.commands(commands, { maxCommands: 60 }), (qbytes, cmds) => {
        const q = queues.create();
        try {
          q.set({ maxBytes: qbytes }); // small, so a full queue (EAGAIN) is common
          const model: Model = { messages: [], qbytes };
          fc.modelRun(() => ({ model, real: q }), cmds);
          // And finally everything left, in order.
          expect(drain(q).map((m) => ({ type: m.type, data: hex(m.data) }))).toEqual(
            model.messages.map((m) => ({ type: m.type, data: hex(m.data) })),
          );
        } finally {
          q.remove();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('(d) tryReceive takes exactly the message the selection rule predicts, and leaves the rest in order', () => {
    const contents = fc.array(
      fc.record({ type: smallType, data: fc.uint8Array({ maxLength: 8 }) }),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(contents, selectorArb, (msgs, sel) => {
        const q = queues.create();
        try {
          for (const m of msgs) expect(q.trySend(m.type, m.data)).toBe(true);
          const i = select(msgs, sel);
          const got = q.tryReceive(sel);
          const rest = [...msgs];
          if (i === -1) expect(got).toBeUndefined();
          else {
            const [want] = rest.splice(i, 1);
            expect({ type: got!.type, data: hex(got!.data) }).toEqual({ type: want!.type, data: hex(want!.data) });
          }
          expect(drain(q).map((m) => ({ type: m.type, data: hex(m.data) }))).toEqual(
            rest.map((m) => ({ type: m.type, data: hex(m.data) })),
          );
        } finally {
          q.remove();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the model itself: negative selectors pick the lowest type, FIFO among equals', () => {
    const m = (type: number, d: number): Msg => ({ type, data: new Uint8Array([d]) });
    const q = [m(3, 0), m(2, 1), m(5, 2), m(2, 3), m(1, 4)];
    expect(select(q, { type: -2 })).toBe(4);
    expect(select(q, { type: -4 })).toBe(4);
    expect(select(q.slice(0, 4), { type: -4 })).toBe(1);
    expect(select(q, { type: 2, except: true })).toBe(0);
    expect(select(q, { type: 9 })).toBe(-1);
  });
});

describe('round trips', () => {
  const typeArb = fc.oneof(
    fc.constantFrom(1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3, 2 ** 53 - 2, 2 ** 53 - 1),
    fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    fc.bigInt({ min: 1n, max: 2n ** 53n - 1n }).map(Number),
  );
  const payloadArb = fc.oneof(
    fc.uint8Array({ maxLength: 32 }),
    fc.uint8Array({ maxLength: msgmax }),
    fc.uint8Array({ minLength: msgmax - 16, maxLength: msgmax }),
    fc.integer({ min: 0, max: 255 }).map((b) => new Uint8Array(msgmax).fill(b)),
  );

  it('(b) any payload of 0..msgmax bytes and any type 1..2^53-1 round-trips byte-identical', async () => {
    const q = queues.create();
    await fc.assert(
      fc.asyncProperty(typeArb, payloadArb, fc.boolean(), async (type, data, promised) => {
        // Another type first, so the receive has to select.
        q.trySend(type === 1 ? 2 : 1, 'other');
        await q.send(type, data);
        const m = promised ? await q.receive({ type }) : q.tryReceive({ type })!;
        expect([m.type, m.data.length]).toEqual([type, data.length]);
        expect(Buffer.compare(m.data, data)).toBe(0);
        expect(drain(q).map((x) => x.data.toString())).toEqual(['other']);
      }),
      { numRuns: 150 },
    );
  });

  it('a receive that is already waiting gets the message byte-identical too', async () => {
    const q = queues.create();
    await fc.assert(
      fc.asyncProperty(typeArb, payloadArb, async (type, data) => {
        const p = q.receive({ type });
        await new Promise((r) => setTimeout(r, 1));
        await q.send(type, data);
        const m = await p;
        expect(m.type).toBe(type);
        expect(Buffer.compare(m.data, data)).toBe(0);
      }),
      { numRuns: 30 },
    );
  });
});

describe('invalid sends', () => {
  const badType = fc.oneof(
    fc.integer({ min: -(2 ** 31), max: 0 }),
    fc.double({ noNaN: false }).filter((x) => !(Number.isInteger(x) && x >= 1 && x <= Number.MAX_SAFE_INTEGER)),
    fc.constantFrom(2 ** 53, -(2 ** 53), Number.NaN, Infinity, -Infinity, -0),
  );
  const badValue = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.object(), fc.bigInt());

  it('any invalid type is a RangeError/TypeError with an ERR_* code, and nothing is enqueued', async () => {
    const q = queues.create();
    await fc.assert(
      fc.asyncProperty(fc.oneof(badType, badValue), async (type) => {
        let thrown: unknown;
        try {
          q.trySend(type as number, 'x');
        } catch (err) {
          thrown = err;
        }
        expect(thrown).toBeInstanceOf(typeof type === 'number' ? RangeError : TypeError);
        expect((thrown as { code: string }).code).toMatch(/^ERR_(OUT_OF_RANGE|INVALID_ARG_TYPE)$/);
        await expect(q.send(type as number, 'x')).rejects.toMatchObject({ code: (thrown as { code: string }).code });
        expect(q.stat().qnum).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('any invalid payload is a TypeError, or a RangeError above msgmax; nothing is enqueued', async () => {
    const q = queues.create();
    const tooBig = fc.integer({ min: msgmax + 1, max: msgmax * 4 }).map((n) => Buffer.alloc(n));
    await fc.assert(
      fc.asyncProperty(fc.oneof(badValue.filter((v) => typeof v !== 'string'), fc.integer(), tooBig), async (data) => {
        const cls = data instanceof Uint8Array ? RangeError : TypeError;
        expect(() => q.trySend(1, data as Buffer)).toThrow(cls);
        await expect(q.send(1, data as Buffer)).rejects.toBeInstanceOf(cls);
        expect(q.stat().qnum).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});
