/**
 * Power-of-two arithmetic on addresses up to 2^53 (JavaScript's bit operators stop at 32 bits).
 */

/** floor(log2(n)) for n ≥ 1 (Genode's `log2`). */
export function log2Floor(n: number): number {
  if (!(n >= 1)) throw new RangeError(`log2 of ${n}`);
  let l = Math.floor(Math.log2(n));
  // Math.log2 may round up for values just below a power of two
  if (2 ** l > n) l--;
  if (2 ** (l + 1) <= n) l++;
  return l;
}

/** Whether bit `n` of the non-negative integer `x` is set. */
export function bitSet(x: number, n: number): boolean {
  return Math.floor(x / 2 ** n) % 2 === 1;
}

/** `x` rounded down to a multiple of `2^log2`. */
export function truncLog2(x: number, log2: number): number {
  const u = 2 ** log2;
  return Math.floor(x / u) * u;
}

/** Whether `x` is a multiple of `2^log2`. */
export function alignedLog2(x: number, log2: number): boolean {
  return x % 2 ** log2 === 0;
}
