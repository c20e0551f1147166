import { ANY_ACCESS } from './access-sizes.js';
import { AddressBus, type Region } from './address-bus.js';

/** Guest-physical addresses the MMIO bus decodes: everything below 2^52 (x86's MAXPHYADDR limit). */
export const MMIO_SPACE_LIMIT: number = 2 ** 52;

/**
 * The memory-mapped I/O bus: guest-physical accesses outside RAM that the VMM emulates (Seoul's
 * `bus_mem`, reached through the instruction emulator after an NPT fault). Devices declare which
 * widths the guest may use (`valid`) and which they implement (`impl`, default: any of 1, 2, 4);
 * the bus splits and widens accesses accordingly (QEMU's `access_with_adjusted_size`). Unclaimed
 * addresses read all-ones and drop writes.
 *
 * @example
 * ```ts
 * const mmio = new MmioBus();
 * const regs = new Uint32Array(4);
 * mmio.register({
 *   owner: 'demo', base: 0xfed00000, length: 16,
 *   valid: { min: 1, max: 4 }, impl: { min: 4, max: 4 },
 *   handler: {
 *     read: (a) => { a.value = regs[a.offset >> 2]!; return true; },
 *     write: (a) => { const i = a.offset >> 2; regs[i] = (regs[i]! & ~a.mask) | (a.value & a.mask); return true; },
 *   },
 * });
 * mmio.read(0xfed00001, 1); // byte 1 of register 0, read as a 4-byte access
 * ```
 */
export class MmioBus extends AddressBus {
  private list: Region[] = [];
  private last: Region | undefined;

  constructor() {
    super('MMIO', MMIO_SPACE_LIMIT, ANY_ACCESS);
  }

  /** The region holding `address` (binary search; the last hit is cached). */
  find(address: number): Region | undefined {
    const l = this.last;
    if (l !== undefined && address >= l.base && address < l.base + l.length) return l;
    let lo = 0;
    let hi = this.list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.list[mid]!;
      if (address < r.base) hi = mid - 1;
      else if (address >= r.base + r.length) lo = mid + 1;
      else {
        this.last = r;
        return r;
      }
    }
    return undefined;
  }

  /** All regions by base address. */
  regions(): readonly Region[] {
    return this.list;
  }

  protected insert(region: Region): void {
    this.list = [...this.list, region].sort((a, b) => a.base - b.base);
  }

  protected remove(region: Region): void {
    this.list = this.list.filter((r) => r !== region);
    this.last = undefined;
  }
}
