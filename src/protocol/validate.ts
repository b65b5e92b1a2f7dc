/**
 * Validators for messages that cross the host/webview boundary. A validator returns its input, typed, or
 * throws a ValidationError naming the path of the first bad field; the message types are inferred from
 * the validators, so a message's type and its check cannot drift apart.
 */
export class ValidationError extends Error {
  constructor(
    readonly path: string,
    expected: string,
    got: unknown,
  ) {
    super(`${path}: expected ${expected}, got ${describe(got)}`);
    this.name = 'ValidationError';
  }
}

export type Validator<T> = (value: unknown, path: string) => T;
export type Infer<V> = V extends Validator<infer T> ? T : never;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (typeof value === 'string') return `string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number') return `number ${value}`;
  return typeof value;
}

export const string: Validator<string> = (value, path) => {
  if (typeof value !== 'string') throw new ValidationError(path, 'a string', value);
  return value;
};

/** Any number, NaN and ±Infinity included (a score can be -Infinity under a full mask). */
export const number: Validator<number> = (value, path) => {
  if (typeof value !== 'number') throw new ValidationError(path, 'a number', value);
  return value;
};

export const integer: Validator<number> = (value, path) => {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new ValidationError(path, 'an integer', value);
  return value;
};

export const boolean: Validator<boolean> = (value, path) => {
  if (typeof value !== 'boolean') throw new ValidationError(path, 'true or false', value);
  return value;
};

export function literal<const L extends readonly (string | number)[]>(...allowed: L): Validator<L[number]> {
  return (value, path) => {
    if (!allowed.includes(value as L[number]))
      throw new ValidationError(path, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
    return value as L[number];
  };
}

export function array<T>(item: Validator<T>): Validator<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) throw new ValidationError(path, 'an array', value);
    value.forEach((element, i) => item(element, `${path}[${i}]`));
    return value as T[];
  };
}

/** An array of numbers, checked in one loop (attributions of hundreds of tokens per layer). */
export const numbers: Validator<number[]> = (value, path) => {
  if (!Array.isArray(value)) throw new ValidationError(path, 'an array of numbers', value);
  for (let i = 0; i < value.length; i++)
    if (typeof value[i] !== 'number') throw new ValidationError(`${path}[${i}]`, 'a number', value[i]);
  return value as number[];
};

export function optional<T>(inner: Validator<T>): Validator<T | undefined> {
  return (value, path) => (value === undefined ? undefined : inner(value, path));
}

/** An object used as a map from string keys to values of one type. */
export function record<T>(value: Validator<T>): Validator<Record<string, T>> {
  return (input, path) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      throw new ValidationError(path, 'an object', input);
    for (const [key, element] of Object.entries(input)) value(element, `${path}.${key}`);
    return input as Record<string, T>;
  };
}

type Shape = Record<string, Validator<unknown>>;
type Optionals<S extends Shape> = {
  [K in keyof S]: undefined extends Infer<S[K]> ? K : never;
}[keyof S];
export type ObjectOf<S extends Shape> = {
  readonly [K in Exclude<keyof S, Optionals<S>>]: Infer<S[K]>;
} & { readonly [K in Optionals<S>]?: Infer<S[K]> };

/** An object with (at least) these fields; fields not named here are ignored by consumers. */
export function object<S extends Shape>(shape: S): Validator<ObjectOf<S>> {
  return (value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new ValidationError(path, 'an object', value);
    for (const [key, check] of Object.entries(shape))
      check((value as Record<string, unknown>)[key], `${path}.${key}`);
    return value as ObjectOf<S>;
  };
}

/** One of several object shapes, told apart by a string field (e.g. `kind`). */
export function variants<const K extends string, M extends Record<string, Validator<object>>>(
  key: K,
  members: M,
): Validator<{ [T in keyof M]: Infer<M[T]> & { readonly [P in K]: T } }[keyof M]> {
  return (value, path) => {
    if (typeof value !== 'object' || value === null) throw new ValidationError(path, 'an object', value);
    const tag = (value as Record<string, unknown>)[key];
    const member = typeof tag === 'string' && Object.hasOwn(members, tag) ? members[tag] : undefined;
    if (!member)
      throw new ValidationError(`${path}.${key}`, `one of ${Object.keys(members).join(', ')}`, tag);
    member(value, path);
    return value as never;
  };
}

function typedArray<T extends ArrayBufferView>(
  name: string,
  constructor: abstract new (...args: never[]) => T,
): Validator<T> {
  return (value, path) => {
    if (!(value instanceof constructor)) throw new ValidationError(path, `a ${name}`, value);
    return value;
  };
}

/** Binary payloads travel as typed arrays (structured clone), never as JSON arrays of numbers. */
export const float32Array: Validator<Float32Array> = typedArray('Float32Array', Float32Array);
export const float64Array: Validator<Float64Array> = typedArray('Float64Array', Float64Array);
export const int32Array: Validator<Int32Array> = typedArray('Int32Array', Int32Array);

/** No payload. */
export const empty = object({});
