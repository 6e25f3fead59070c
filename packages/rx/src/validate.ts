// Argument checks for rx's own options, in the voice of @rxipc/core (TypeError /
// RangeError with Node's ERR_* codes), thrown synchronously when an operator or
// Observable is created, never later at subscribe time. Not part of the public API.

function withCode<E extends Error>(err: E, code: string): E & { code: string } {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return err as E & { code: string };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return `function ${v.name || '<anonymous>'}`;
  if (typeof v === 'object') return `an instance of ${(v as object).constructor?.name ?? 'Object'}`;
  const shown = typeof v === 'string' ? `'${v.length > 28 ? `${v.slice(0, 25)}...` : v}'` : String(v);
  return `type ${typeof v} (${shown})`;
}

function invalidArgType(name: string, expected: string, actual: unknown): TypeError & { code: string } {
  return withCode(new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

function outOfRange(name: string, rule: string, actual: unknown): RangeError & { code: string } {
  const received = typeof actual === 'number' ? String(actual) : describe(actual);
  return withCode(new RangeError(`The value of "${name}" is out of range. It must be ${rule}. Received ${received}`), 'ERR_OUT_OF_RANGE');
}

/** A required options object (not null, not an array); its fields are checked by the caller. */
export function validateObject<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgType(name, 'of type object', value);
  return value as Partial<T>;
}

/** Optional options: `undefined` becomes `{}`; anything else must be an object. */
export function validateOptions<T extends object>(value: unknown, name = 'options'): Partial<T> {
  return value === undefined ? {} : validateObject<T>(value, name);
}

export function validateInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

export function validateBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}
