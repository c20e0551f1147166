declare const entryBrand: unique symbol;

/**
 * What host code yields to the kernel: a kernel entry. Opaque by design (docs/execution-model.md,
 * rule 1): user code never builds or inspects one, it only `yield*`s the generators that the
 * `sys` object returns.
 */
export interface KernelEntry {
  readonly [entryBrand]: true;
  /** Debug name. */
  readonly kind: 'syscall' | 'spin' | 'exception' | 'io';
}

function entry(kind: KernelEntry['kind']): KernelEntry {
  return Object.freeze({ kind }) as KernelEntry;
}

/** A hypercall: arguments in the EC's registers (spec/nova.md §2.3). */
export const ENTRY_SYSCALL: KernelEntry = entry('syscall');
/** Computation of a number of ticks (`sys.spin`). */
export const ENTRY_SPIN: KernelEntry = entry('spin');
/** A CPU exception raised by the instruction being executed (vector etc. in the registers). */
export const ENTRY_EXCEPTION: KernelEntry = entry('exception');

/** A blocking operation of host code; every kernel entry is a `yield*` (docs/execution-model.md). */
export type Blocking<T> = Generator<KernelEntry, T, unknown>;
