import type { Blocking } from '../kernel/blocking.js';

/** A function that may block (returns a generator) or complete at once. */
export type Maybe_blocking<A extends unknown[] = []> = (...args: A) => Blocking<void> | void;

function isGenerator(x: unknown): x is Blocking<void> {
  return typeof x === 'object' && x !== null && typeof (x as { next?: unknown }).next === 'function';
}

/** Run a possibly-blocking function from inside a generator. */
export function* invoke<A extends unknown[]>(fn: Maybe_blocking<A>, ...args: A): Blocking<void> {
  const r = fn(...args);
  if (isGenerator(r)) yield* r;
}
