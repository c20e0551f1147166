/** log2 of the x86 page size (`Genode::PAGE_SIZE_LOG2`, `AT_PAGE`). */
export const PAGE_SIZE_LOG2 = 12;
/** The x86 page size, 4 KiB. */
export const PAGE_SIZE: number = 1 << PAGE_SIZE_LOG2;
/** Mask of the offset bits inside a page. */
export const PAGE_MASK: number = PAGE_SIZE - 1;

/**
 * Round `value` up to a multiple of `2^log2` (`Genode::align_addr`). Works on addresses up to
 * 2^53; throws a RangeError for negative or non-integer input, which is a programmer error.
 */
export function alignUp(value: number, log2: number = PAGE_SIZE_LOG2): number {
  checkAddress(value);
  const unit = 2 ** log2;
  return Math.ceil(value / unit) * unit;
}

/** Round `value` down to a multiple of `2^log2` (`Genode::trunc_page` for log2 = 12). */
export function alignDown(value: number, log2: number = PAGE_SIZE_LOG2): number {
  checkAddress(value);
  const unit = 2 ** log2;
  return Math.floor(value / unit) * unit;
}

/** Whether `value` is a multiple of `2^log2`. */
export function isAligned(value: number, log2: number = PAGE_SIZE_LOG2): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value % 2 ** log2 === 0;
}

function checkAddress(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`not an address or size: ${value}`);
  }
}
