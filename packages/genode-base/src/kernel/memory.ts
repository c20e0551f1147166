/** The kinds of memory access a thread (or a vCPU) performs. */
export type AccessKind = 'read' | 'write' | 'exec';

/**
 * Access rights of a mapping. Read is implied by every mapping on x86 (a present page is
 * readable), as in NOVA's memory capabilities.
 */
export interface Rights {
  readonly write: boolean;
  readonly exec: boolean;
}

/**
 * A flexpage mapping request: map `2^log2` bytes of physical memory at `phys` to `virt`.
 *
 * Both `phys` and `virt` are aligned to `2^log2`, and `log2 >= 12`. This is the unit a NOVA
 * delegation carries (a memory CRD plus hotspot) and what core's pager decides (§3.4).
 */
export interface Flexpage {
  readonly phys: number;
  readonly virt: number;
  readonly log2: number;
  readonly rights: Rights;
}

/**
 * The current translation of one page: the page-aligned virtual address, the physical frame
 * (an offset into the machine's RAM buffer) and the rights.
 */
export interface Translation {
  readonly virt: number;
  readonly phys: number;
  readonly rights: Rights;
}

/** Result of installing a mapping. */
export type MapStatus = 'OK' | 'INVALID' | 'NOT_MAPPED' | 'OUT_OF_MEMORY';

/** A machine to boot: RAM size and CPU count. */
export interface MachineDescription {
  /** Bytes of RAM (rounded down to whole pages by the kernel). */
  readonly ramBytes: number;
  /** Number of CPUs (≥ 1). */
  readonly cpus: number;
}

/**
 * The machine's physical memory as the kernel hands it to core: one buffer (a frame is an offset
 * into it) and the ranges core may allocate from; the kernel keeps whatever it does not list.
 *
 * Contract: every byte of the `available` ranges reads zero when `boot` returns (a fresh
 * `ArrayBuffer` does). Core relies on it to hand out never-used frames without zero-filling
 * them, so guest RAM that is never touched is never committed by the host.
 */
export interface PhysicalMemory {
  readonly buffer: ArrayBuffer;
  readonly available: readonly { readonly base: number; readonly size: number }[];
}
