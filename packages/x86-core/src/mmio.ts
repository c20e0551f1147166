/**
 * A device (or anything else) that claims a range of physical addresses that is not RAM.
 * Accesses are 1, 2 or 4 bytes at the physical address; an access that straddles the end of a
 * region is split into byte accesses. Values are unsigned for 1 and 2 bytes, any 32-bit pattern
 * for 4 bytes.
 *
 * Use it for memory-mapped devices (an APIC, a framebuffer, a flash ROM) on a bare processor;
 * in a VMM, guest-physical accesses that are not backed by RAM reach the VMM as NPT exits instead.
 */
export interface MmioHandler {
  /** Reads `size` bytes at physical address `addr` (absolute, not relative to the region). */
  read(addr: number, size: 1 | 2 | 4): number;
  /** Writes `size` bytes at physical address `addr` (absolute, not relative to the region). */
  write(addr: number, size: 1 | 2 | 4, value: number): void;
}

/** A registered MMIO range (half-open `[base, base + size)`). */
export interface MmioRegion {
  readonly base: number;
  readonly size: number;
  readonly handler: MmioHandler;
}
