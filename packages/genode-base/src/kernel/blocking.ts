/**
 * A blocking operation: a generator that the kernel's scheduler drives (docs/execution-model.md).
 *
 * Code that may block delegates to it with `yield*`; the yielded values belong to the kernel and
 * are never built or inspected by library or application code. `T` is the operation's result.
 */
export type Blocking<T> = Generator<unknown, T, unknown>;

/**
 * Turn a value into a finished blocking operation, for code paths that sometimes block and
 * sometimes not (`yield* done(x)` returns `x` without giving up the CPU).
 */
// biome-ignore lint/correctness/useYield: a blocking operation that completes at once
export function* done<T>(value: T): Blocking<T> {
  return value;
}
