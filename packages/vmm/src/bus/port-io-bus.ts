import { BYTE_ACCESS } from './access-sizes.js';
import { AddressBus, type Region } from './address-bus.js';

/** Size of the x86 I/O port space (ports 0x0000–0xffff). */
export const PORT_SPACE_SIZE = 0x10000;

/**
 * The x86 port I/O bus (Seoul's `bus_ioin`/`bus_ioout`, address-decoded like rust-vmm's PIO bus):
 * `in`/`out` of 1, 2 or 4 bytes. Unclaimed ports read all-ones and ignore writes (the ISA bus
 * floats high; Linux's isapnp and i8042 probes rely on it). Regions default to byte-wide
 * implementations (`impl` {@link BYTE_ACCESS}), so an `outw` to an ISA device arrives as two byte
 * writes at consecutive ports, as on the ISA bus.
 *
 * Decoding is one table lookup per port, so the VMM's I/O exit path stays cheap.
 *
 * @example
 * ```ts
 * const io = new PortIoBus();
 * io.register({ owner: 'post', base: 0x80, length: 1, handler: { write: () => true } });
 * io.read(0x81, 1); // 0xff: nobody there
 * ```
 */
export class PortIoBus extends AddressBus {
  private readonly table = new Int32Array(PORT_SPACE_SIZE).fill(-1);
  private list: Region[] = [];

  constructor() {
    super('port I/O', PORT_SPACE_SIZE, BYTE_ACCESS);
  }

  /** The region that claims `port`, if any. */
  find(port: number): Region | undefined {
    if (!(port >= 0 && port < PORT_SPACE_SIZE)) return undefined;
    const i = this.table[port] ?? -1;
    return i < 0 ? undefined : this.list[i];
  }

  /** All regions by base port. */
  regions(): readonly Region[] {
    return this.list;
  }

  protected insert(region: Region): void {
    this.list = [...this.list, region].sort((a, b) => a.base - b.base);
    this.rebuild();
  }

  protected remove(region: Region): void {
    this.list = this.list.filter((r) => r !== region);
    this.rebuild();
  }

  private rebuild(): void {
    this.table.fill(-1);
    this.list.forEach((r, i) => {
      this.table.fill(i, r.base, r.base + r.length);
    });
  }
}
