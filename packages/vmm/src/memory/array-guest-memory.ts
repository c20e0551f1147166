import { GuestMemoryError } from '../errors.js';
import { checkMemoryMap, type GuestMemory, isInRam, type MemoryMapEntry } from './guest-memory.js';
import { pcMemoryMap } from './pc-memory-map.js';

/**
 * Guest-physical memory in one `Uint8Array` covering address 0 up to the end of the highest RAM
 * entry: the reference {@link GuestMemory} for tests and for hosts without a kernel. Accesses
 * outside RAM entries throw {@link GuestMemoryError} `OUTSIDE_RAM`.
 *
 * @example
 * ```ts
 * const mem = ArrayGuestMemory.pc(16 << 20);
 * loadMultiboot(mem, image, { cmdline: 'console=ttyS0' });
 * ```
 */
export class ArrayGuestMemory implements GuestMemory {
  readonly map: readonly MemoryMapEntry[];
  /** The backing bytes (index = guest-physical address). */
  readonly bytes: Uint8Array;
  /** Bytes written through {@link write} since construction. */
  bytesWritten = 0;

  constructor(map: readonly MemoryMapEntry[]) {
    checkMemoryMap(map);
    this.map = Object.freeze(map.map((e) => Object.freeze({ ...e })));
    const top = Math.max(0, ...map.filter((e) => e.type === 'ram').map((e) => e.base + e.length));
    this.bytes = new Uint8Array(top);
  }

  /** A PC of `ramSize` bytes: {@link pcMemoryMap}. */
  static pc(ramSize: number): ArrayGuestMemory {
    return new ArrayGuestMemory(pcMemoryMap(ramSize));
  }

  write(address: number, data: Uint8Array): void {
    if (data.length === 0) return;
    this.check(address, data.length);
    this.bytes.set(data, address);
    this.bytesWritten += data.length;
  }

  read(address: number, length: number): Uint8Array {
    if (length === 0) return new Uint8Array(0);
    this.check(address, length);
    return this.bytes.slice(address, address + length);
  }

  private check(address: number, length: number): void {
    if (!isInRam(this.map, address, length)) {
      throw new GuestMemoryError(
        'OUTSIDE_RAM',
        `guest-physical range 0x${address.toString(16)}+0x${length.toString(16)} is not inside one RAM region`,
      );
    }
  }
}
