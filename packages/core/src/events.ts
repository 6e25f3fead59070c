import { EventEmitter } from 'node:events';

/**
 * The typed-events contract of every rxipc resource class, in typed-emitter's shape
 * (https://github.com/andywer/typed-emitter): `on`, `once`, `emit`, ... take only the event
 * names of `Events` and listeners of the declared signature.
 *
 * Declared here rather than imported from typed-emitter because the published .d.ts must
 * resolve under every TypeScript setting an embedder may use: typed-emitter's
 * `export default interface` is reached through `esModuleInterop`-dependent default-import
 * forms that fail under `moduleResolution: "bundler"` (TS2339 on `on`) and with
 * `skipLibCheck: false` (TS2702). An interface of our own has no such import.
 *
 * `Events` maps each event name to its listener type, e.g. `{ close: () => void }`.
 */
export interface TypedEventEmitter<Events extends EventMap<Events>> {
  addListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  on<E extends keyof Events>(event: E, listener: Events[E]): this;
  once<E extends keyof Events>(event: E, listener: Events[E]): this;
  prependListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  prependOnceListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  off<E extends keyof Events>(event: E, listener: Events[E]): this;
  removeAllListeners<E extends keyof Events>(event?: E): this;
  removeListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean;
  /** Loosely typed as in typed-emitter: an EventEmitter may carry other names. */
  eventNames(): (keyof Events | string | symbol)[];
  rawListeners<E extends keyof Events>(event: E): Events[E][];
  listeners<E extends keyof Events>(event: E): Events[E][];
  listenerCount<E extends keyof Events>(event: E): number;
  getMaxListeners(): number;
  setMaxListeners(maxListeners: number): this;
}

/**
 * What an event map is: every key a listener function. Written as a mapped constraint (not
 * an index signature) so both `type` aliases and `interface`s qualify.
 */
export type EventMap<Events> = { [E in keyof Events]: (...args: any[]) => void };

/**
 * Node's EventEmitter, typed: the base class of every rxipc resource class. The one cast
 * from EventEmitter to the typed contract lives here.
 *
 * @example
 * export type ThingEvents = { close: () => void };
 * export class Thing extends TypedEventEmitter<ThingEvents> {}
 * new Thing().on('close', () => {}); // only 'close', only () => void
 */
// The constructor is generic, so `extends TypedEventEmitter<Events>` reads like a class.
export const TypedEventEmitter = EventEmitter as unknown as new <Events extends EventMap<Events>>() => TypedEventEmitter<Events>;
