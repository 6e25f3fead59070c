// The Node side of the measurement windows; bench/c/common.h does exactly the same in C.
//
// Throughput: the window opens at the first read at least `warm` after the first data
// arrived (so start-up, JIT warm-up and the peer's spawn are outside it) and closes at
// end-of-stream or the end marker; only what is read after the opening read counts. The
// clock is read only until the window opens, then once at close().
//
// Round trip: every round trip is timed; those that end within `warm` of the end of the
// first one (which includes the peer's start-up) are dropped.

export interface ThroughputResult {
  kind: 'thr';
  /** Bytes ('B') or messages ('msg') per second inside the window; 'cpu': CPU seconds per second. */
  rate: number;
  unit: 'B' | 'msg' | 'cpu';
  units: number;
  seconds: number;
  /** Deliveries inside the window ('data' events, batches, reads). */
  reads: number;
  /** Anything else worth printing (batch sizes, waits, ...). */
  notes?: Record<string, number | string>;
}

export interface RoundTripResult {
  kind: 'rtt';
  /** Microseconds. */
  p50: number;
  p99: number;
  n: number;
  notes?: Record<string, number | string>;
}

export type CaseResult = ThroughputResult | RoundTripResult;

export class Window {
  opened = false;
  units = 0;
  reads = 0;
  #first = -1;
  #start = 0;
  #last = 0;
  readonly #warmMs: number;
  readonly #onOpen: (() => void) | undefined;

  /** `onOpen` runs when the window opens (to snapshot counters that are compared at close). */
  constructor(warmSeconds: number, onOpen?: () => void) {
    this.#warmMs = warmSeconds * 1000;
    this.#onOpen = onOpen;
  }

  add(units: number): void {
    if (this.opened) {
      this.units += units;
      this.reads++;
      return;
    }
    const t = performance.now();
    if (this.#first < 0) {
      this.#first = t;
      return;
    }
    if (t - this.#first < this.#warmMs) return;
    this.opened = true;
    this.#start = t;
    this.#onOpen?.();
  }

  close(): void {
    this.#last = performance.now();
  }

  result(unit: 'B' | 'msg', notes?: Record<string, number | string>): ThroughputResult {
    if (!this.opened) throw new Error('the measurement window never opened (run too short for the warm-up?)');
    const seconds = (this.#last - this.#start) / 1000;
    return { kind: 'thr', rate: this.units / seconds, unit, units: this.units, seconds, reads: this.reads, ...(notes ? { notes } : {}) };
  }
}

export class Samples {
  #v = new Float64Array(1 << 16);
  #n = 0;
  /** The end of the first round trip; -1 before it. */
  #begin = -1;
  readonly #warmMs: number;

  constructor(warmSeconds: number) {
    this.#warmMs = warmSeconds * 1000;
  }

  /** One round trip from t0 to t1 (performance.now() milliseconds). */
  add(t0: number, t1: number): void {
    if (this.#begin < 0) this.#begin = t1;
    if (t1 - this.#begin < this.#warmMs) return;
    if (this.#n === this.#v.length) {
      const bigger = new Float64Array(this.#v.length * 2);
      bigger.set(this.#v);
      this.#v = bigger;
    }
    this.#v[this.#n++] = (t1 - t0) * 1000;
  }

  /** Whether `seconds` have passed since the end of the first round trip. */
  elapsed(seconds: number): boolean {
    return this.#begin >= 0 && performance.now() - this.#begin >= seconds * 1000;
  }

  result(notes?: Record<string, number | string>): RoundTripResult {
    const v = this.#v.subarray(0, this.#n).sort();
    if (v.length === 0) throw new Error('no round trips after the warm-up');
    const at = (p: number) => v[Math.floor(p * (v.length - 1))] as number;
    return { kind: 'rtt', p50: at(0.5), p99: at(0.99), n: v.length, ...(notes ? { notes } : {}) };
  }
}
