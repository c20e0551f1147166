/**
 * A capability: a kernel handle naming a kernel object (an RPC object, a signal context, a session).
 *
 * Kernels create capabilities; genode-base only compares and passes them. `id` is the kernel-wide
 * identity of the named object: every copy of a capability to the same object has the same `id`,
 * even if a kernel hands out a different JavaScript object per transfer (as NOVA hands out a
 * different selector per delegation). The invalid capability has `id === -1`. `T` names the RPC
 * interface for type checking only.
 */
export interface Capability<T = unknown> {
  /** Kernel-wide identity of the object; -1 for the invalid capability. */
  readonly id: number;
  /** Phantom member carrying the interface type; never set. */
  readonly __interface?: T;
}

/** The invalid capability (Genode's default-constructed `Capability`). */
export const INVALID_CAPABILITY: Capability<never> = Object.freeze({ id: -1 });

/** Whether `cap` names an object (Genode's `cap.valid()`). */
export function isValidCapability(cap: Capability<unknown> | null | undefined): boolean {
  return cap != null && cap.id >= 0;
}

/** Whether two capabilities name the same object (both invalid counts as equal). */
export function sameCapability(a: Capability<unknown>, b: Capability<unknown>): boolean {
  return a.id === b.id;
}
