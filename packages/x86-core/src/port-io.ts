import { X86Error } from './errors.js';

/**
 * The processor's port-I/O bus: what IN/OUT/INS/OUTS reach. `size` is 1, 2 or 4 bytes; a read
 * returns the unsigned value (an unclaimed port reads as all ones: 0xff, 0xffff, 0xffffffff).
 *
 * Implement it directly (a VMM turns every access into an exit) or use {@link PortBus}.
 */
export interface PortIo {
  /** Reads `size` bytes from `port`. */
  read(port: number, size: 1 | 2 | 4): number;
  /** Writes `size` bytes of `value` to `port`. */
  write(port: number, size: 1 | 2 | 4, value: number): void;
}

/** A device on a {@link PortBus}: claims `[base, base + count)`, sees the port number itself. */
export interface PortDevice {
  read(port: number, size: 1 | 2 | 4): number;
  write(port: number, size: 1 | 2 | 4, value: number): void;
}

const ALL_ONES = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

/**
 * A simple address-decoded port bus: devices claim port ranges (overlaps are refused), unclaimed
 * reads return all ones and unclaimed writes are ignored (what ISA probes such as isapnp and the
 * i8042 driver rely on).
 */
export class PortBus implements PortIo {
  private readonly table: (PortDevice | undefined)[] = new Array<PortDevice | undefined>(0x10000);

  /** Claims `count` ports starting at `base` for `device`; throws `INVALID_CONFIG` on overlap. */
  register(base: number, count: number, device: PortDevice): void {
    if (
      !Number.isInteger(base) ||
      !Number.isInteger(count) ||
      base < 0 ||
      count < 1 ||
      base + count > 0x10000
    ) {
      throw new X86Error('INVALID_CONFIG', `port range ${base}+${count} is outside 0..0xffff`);
    }
    for (let p = base; p < base + count; p++) {
      if (this.table[p] !== undefined) {
        throw new X86Error('INVALID_CONFIG', `port 0x${p.toString(16)} is already claimed`);
      }
    }
    for (let p = base; p < base + count; p++) this.table[p] = device;
  }

  read(port: number, size: 1 | 2 | 4): number {
    const d = this.table[port & 0xffff];
    if (d !== undefined) return d.read(port & 0xffff, size);
    return ALL_ONES[size];
  }

  write(port: number, size: 1 | 2 | 4, value: number): void {
    const d = this.table[port & 0xffff];
    if (d !== undefined) d.write(port & 0xffff, size, value);
  }
}
