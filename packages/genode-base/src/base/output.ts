/**
 * Genode's `print` conventions for log messages: numbers print in decimal, `Hex` in hexadecimal
 * with a `0x` prefix, pointers (`Ptr`) like `void *` (hexadecimal with prefix), `Hex_range` as a
 * half-open interval.
 */

/** Anything a log call accepts. */
export type Printable = string | number | bigint | boolean | null | undefined | { toString(): string };

function hexDigits(value: number | bigint): string {
  let v = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  if (v < 0n) v = (1n << 64n) + v;
  return v.toString(16);
}

/** `Genode::Hex`: hexadecimal, with `0x` prefix unless `prefix: false`, zero-padded to `pad` digits. */
export function Hex(
  value: number | bigint,
  options: { prefix?: boolean; pad?: number } = {},
): { toString(): string } {
  return {
    toString: () => {
      const digits = hexDigits(value).padStart(options.pad ?? 0, '0');
      return `${options.prefix === false ? '' : '0x'}${digits}`;
    },
  };
}

/** A pointer printed as Genode prints `void *`. */
export function Ptr(addr: number): { toString(): string } {
  return Hex(addr);
}

/** `Genode::Hex_range`: `[0x<base>,0x<base+size>)`. */
export function Hex_range(base: number, size: number): { toString(): string } {
  return { toString: () => `[${Hex(base)},${Hex(base + size)})` };
}

/** `Genode::Number_of_bytes`: with G/M/K suffix when divisible. */
export function Number_of_bytes(n: number): { toString(): string } {
  return {
    toString: () => {
      const KB = 1024;
      const MB = KB * 1024;
      const GB = MB * 1024;
      if (n === 0) return '0';
      if (n % GB === 0) return `${n / GB}G`;
      if (n % MB === 0) return `${n / MB}M`;
      if (n % KB === 0) return `${n / KB}K`;
      return String(n);
    },
  };
}

/** Concatenate log arguments as Genode's variadic `log(...)` does. */
export function format(args: readonly Printable[]): string {
  let s = '';
  for (const a of args) s += a === null || a === undefined ? '' : String(a);
  return s;
}
