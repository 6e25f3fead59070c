// Where pipe and FIFO readers read to: windows of native read slabs (packages/native pipe.cc),
// and the policy of keeping slab memory for reuse. One instance per thread (module state),
// like the native pool it steers (one per environment).
import { native } from '@rxipc/native';

/** Bytes of one slab (256 KiB): the most memory one chunk can keep alive. */
export const READ_SLAB_SIZE: number = native.constants.READ_SLAB_SIZE;
/** Bytes asked of each read(2): what libuv asks for a stream, and a default pipe's capacity. */
const WINDOW = 64 * 1024;
/**
 * Reads shorter than this are copied out of the window (into Node's Buffer pool below 4 KiB,
 * a buffer of their own above), so that a small chunk keeps no slab alive: a chunk that is a
 * view of a slab is at least 1/16 of it.
 */
const COPY_BELOW = 16 * 1024;
/**
 * Windows (so chunks) start on a cache line. Not cosmetic: on the AMD EPYC this was measured
 * on, the kernel's copy into a destination 8, 16 or 24 bytes past a 64-byte boundary costs
 * about 3 times as much as into an aligned one (34 against 11 us of CPU per 64 KiB read), and
 * malloc's 16-byte alignment puts a fresh buffer per read there every so often.
 */
const ALIGN = 64;
/**
 * Slab memory kept for reuse while any reader is open. V8 frees a fast reader's chunks once
 * per young-generation GC, which it runs about every 32 MiB of new ArrayBuffer memory, so that
 * much cycles; the rest is headroom.
 */
const RETAIN = 64 * 1024 * 1024;
/** Kept slab memory goes back to the OS after this long without a new slab. */
const IDLE_MS = 1000;

let scratch: Buffer | undefined;
let readers = 0;
let slabsTaken = 0;
let slabsAtLastTick = 0;
let idleTimer: NodeJS.Timeout | undefined;

/**
 * Whether the addon's slabs can be used: a runtime that forbids external ArrayBuffers
 * (Electron's V8 memory cage) refuses them, and then readers take plain ArrayBuffers of the
 * same size (the same chunk rules, without the reuse of their memory).
 */
let nativeSlabs = true;

function newSlab(): ArrayBuffer {
  slabsTaken++;
  if (nativeSlabs) {
    // V8 starts a young-generation GC for ArrayBuffer memory (every 32 MiB of it) only from
    // its own ArrayBuffer allocations, and slabs are the addon's: without a small one of V8's
    // per slab, chunks would wait for the 64 MiB external-memory limit and a full GC.
    new ArrayBuffer(8);
    try {
      return native.readSlab();
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOMEM') throw err;
      nativeSlabs = false; // external ArrayBuffers not allowed here
    }
  }
  return new ArrayBuffer(READ_SLAB_SIZE);
}

/** Tests: forget that native slabs work (undefined: back to trying them). */
export function forceFallbackSlabsForTests(fallback: boolean): void {
  nativeSlabs = !fallback;
}

function releaseWhenIdle(): void {
  if (slabsTaken === slabsAtLastTick) native.readSlabRelease(0);
  slabsAtLastTick = slabsTaken;
}

/**
 * A reader started reading: from now until the last one stops, finalized slabs are kept for
 * reuse (up to RETAIN bytes, released after IDLE_MS without use). Main thread of this realm.
 */
export function readerStarted(): void {
  if (readers++ > 0) return;
  native.readSlabRetain(RETAIN);
  slabsAtLastTick = slabsTaken;
  idleTimer = setInterval(releaseWhenIdle, IDLE_MS);
  idleTimer.unref();
}

/** A reader that started is closed. The last one releases every kept slab. */
export function readerStopped(): void {
  if (--readers > 0) return;
  clearInterval(idleTimer);
  idleTimer = undefined;
  native.readSlabRetain(0);
}

/**
 * One reader's read position: libuv reads into `window`, then `take(n)` turns the n bytes read
 * into a chunk and moves the window on. A chunk is never written again: windows only move
 * forward through a slab, and a slab's memory is reused only after V8 has freed it, that is
 * when no view of it is left anywhere. Until the first long read a reader has no slab: its
 * window is a scratch buffer shared by the readers of this thread, always copied out at once
 * (reads run one at a time, on this thread).
 */
export class ReadCursor {
  #slab: ArrayBuffer | undefined;
  #offset = 0;
  #window: Uint8Array;

  constructor() {
    this.#window = scratch ??= Buffer.allocUnsafeSlow(WINDOW);
  }

  /** Where the next read lands. libuv keeps a raw pointer to it: this cursor keeps it alive. */
  get window(): Uint8Array {
    return this.#window;
  }

  /** The `n` bytes just read into `window` as a chunk of their own. */
  take(n: number): Buffer {
    const window = this.#window;
    if (n < COPY_BELOW) {
      const copy = Buffer.allocUnsafe(n);
      copy.set(window.subarray(0, n));
      return copy; // the window stays where it is: nobody saw it
    }
    let chunk: Buffer;
    if (this.#slab === undefined) {
      this.#slab = newSlab();
      this.#offset = 0;
      chunk = Buffer.from(this.#slab, 0, n);
      chunk.set(window.subarray(0, n));
    } else {
      chunk = Buffer.from(this.#slab, this.#offset, n);
    }
    this.#offset += (n + ALIGN - 1) & -ALIGN;
    if (READ_SLAB_SIZE - this.#offset < WINDOW) {
      this.#slab = newSlab();
      this.#offset = 0;
    }
    this.#window = new Uint8Array(this.#slab, this.#offset, WINDOW);
    return chunk;
  }
}
