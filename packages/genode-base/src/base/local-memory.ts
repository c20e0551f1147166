import type { Blocking } from '../kernel/blocking.js';
import type { BootedKernel, KernelPd } from '../kernel/kernel.js';
import type { AccessKind, Translation } from '../kernel/memory.js';

const PAGE = 4096;

/**
 * Memory access for host code: reads and writes a component's address space through the
 * kernel's translation of it. A present, permitted page is accessed directly in the machine's
 * RAM buffer; otherwise the access raises a page fault, which core resolves (the kernel maps and
 * the access is retried) or reflects (the thread blocks until a fault handler attaches something
 * covering the address). Every operation is blocking (execution-model rule 2) and must run in a
 * thread: `const v = yield* env.rm().local.read32(addr)`.
 *
 * Multi-byte accesses that cross a page boundary make sure every page is accessible before
 * touching any, as an x86 instruction does. 64-bit values are bigints.
 */
export class Local_memory {
  readonly #kernel: BootedKernel;
  readonly #pd: KernelPd;
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  /** The kernel's `ramWritten` hook (decoded-code caches), or a no-op. */
  readonly #wrote: (phys: number, length: number) => void;

  constructor(kernel: BootedKernel, pd: KernelPd) {
    this.#kernel = kernel;
    this.#pd = pd;
    this.#view = new DataView(kernel.memory.buffer);
    this.#bytes = new Uint8Array(kernel.memory.buffer);
    this.#wrote = kernel.ramWritten?.bind(kernel) ?? (() => {});
  }

  /** The kernel's current translation of the page containing `addr` (`Nova::lookup`). */
  lookup(addr: number): Translation | undefined {
    return this.#kernel.lookup(this.#pd, addr);
  }

  /** Physical address of `addr` if it is accessible for `access` now, without faulting. */
  probe(addr: number, access: AccessKind = 'read'): number | undefined {
    const t = this.#kernel.lookup(this.#pd, addr);
    if (t === undefined) return undefined;
    if (access === 'write' && !t.rights.write) return undefined;
    if (access === 'exec' && !t.rights.exec) return undefined;
    return t.phys + (addr - t.virt);
  }

  /** Resolve `[addr, addr+len)` for `access`; returns the physical address of each byte run. */
  *#resolve(addr: number, len: number, access: AccessKind, ip: number): Blocking<number[]> {
    for (;;) {
      const phys: number[] = [];
      let faulted = false;
      for (let a = addr; a < addr + len; a = (Math.floor(a / PAGE) + 1) * PAGE) {
        const p = this.probe(a, access);
        if (p === undefined) {
          yield* this.#kernel.pageFault(this.#pd, a, access, access === 'exec' ? a : ip);
          faulted = true;
          break;
        }
        phys.push(p);
      }
      if (!faulted) return phys;
    }
  }

  *#one(addr: number, size: number, access: AccessKind): Blocking<number> {
    if ((addr % PAGE) + size <= PAGE) {
      for (;;) {
        const p = this.probe(addr, access);
        if (p !== undefined) return p;
        yield* this.#kernel.pageFault(this.#pd, addr, access, access === 'exec' ? addr : 0);
      }
    }
    return -1;
  }

  *#readBytes(addr: number, len: number, access: AccessKind): Blocking<Uint8Array> {
    const runs = yield* this.#resolve(addr, len, access, 0);
    const out = new Uint8Array(len);
    let off = 0;
    for (const p of runs) {
      const n = Math.min(len - off, PAGE - ((addr + off) % PAGE));
      out.set(this.#bytes.subarray(p, p + n), off);
      off += n;
    }
    return out;
  }

  /** Read one byte. */
  *read8(addr: number): Blocking<number> {
    const p = yield* this.#one(addr, 1, 'read');
    return this.#view.getUint8(p);
  }

  /** Read a little-endian 16-bit value. */
  *read16(addr: number): Blocking<number> {
    const p = yield* this.#one(addr, 2, 'read');
    if (p >= 0) return this.#view.getUint16(p, true);
    const b = yield* this.#readBytes(addr, 2, 'read');
    return new DataView(b.buffer).getUint16(0, true);
  }

  /** Read a little-endian 32-bit value. */
  *read32(addr: number): Blocking<number> {
    const p = yield* this.#one(addr, 4, 'read');
    if (p >= 0) return this.#view.getUint32(p, true);
    const b = yield* this.#readBytes(addr, 4, 'read');
    return new DataView(b.buffer).getUint32(0, true);
  }

  /** Read a little-endian 64-bit value. */
  *read64(addr: number): Blocking<bigint> {
    const p = yield* this.#one(addr, 8, 'read');
    if (p >= 0) return this.#view.getBigUint64(p, true);
    const b = yield* this.#readBytes(addr, 8, 'read');
    return new DataView(b.buffer).getBigUint64(0, true);
  }

  /** Read `len` bytes. */
  read(addr: number, len: number): Blocking<Uint8Array> {
    return this.#readBytes(addr, len, 'read');
  }

  /** Fetch `len` bytes as instructions (an `exec` access). */
  fetch(addr: number, len: number): Blocking<Uint8Array> {
    return this.#readBytes(addr, len, 'exec');
  }

  /** Read a NUL-terminated string of at most `max` bytes. */
  *read_cstring(addr: number, max = 4096): Blocking<string> {
    const chars: number[] = [];
    for (let i = 0; i < max; i++) {
      const c = yield* this.read8(addr + i);
      if (c === 0) break;
      chars.push(c);
    }
    return String.fromCharCode(...chars);
  }

  *#writeBytes(addr: number, data: Uint8Array): Blocking<void> {
    const runs = yield* this.#resolve(addr, data.length, 'write', 0);
    let off = 0;
    for (const p of runs) {
      const n = Math.min(data.length - off, PAGE - ((addr + off) % PAGE));
      this.#bytes.set(data.subarray(off, off + n), p);
      this.#wrote(p, n);
      off += n;
    }
  }

  /** Write one byte. */
  *write8(addr: number, value: number): Blocking<void> {
    const p = yield* this.#one(addr, 1, 'write');
    this.#view.setUint8(p, value);
    this.#wrote(p, 1);
  }

  /** Write a little-endian 16-bit value. */
  *write16(addr: number, value: number): Blocking<void> {
    const p = yield* this.#one(addr, 2, 'write');
    if (p >= 0) {
      this.#view.setUint16(p, value, true);
      return this.#wrote(p, 2);
    }
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, value, true);
    yield* this.#writeBytes(addr, b);
  }

  /** Write a little-endian 32-bit value. */
  *write32(addr: number, value: number): Blocking<void> {
    const p = yield* this.#one(addr, 4, 'write');
    if (p >= 0) {
      this.#view.setUint32(p, value >>> 0, true);
      return this.#wrote(p, 4);
    }
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    yield* this.#writeBytes(addr, b);
  }

  /** Write a little-endian 64-bit value. */
  *write64(addr: number, value: bigint): Blocking<void> {
    const p = yield* this.#one(addr, 8, 'write');
    if (p >= 0) {
      this.#view.setBigUint64(p, BigInt.asUintN(64, value), true);
      return this.#wrote(p, 8);
    }
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    yield* this.#writeBytes(addr, b);
  }

  /** Write a byte string. */
  write(addr: number, data: Uint8Array): Blocking<void> {
    return this.#writeBytes(addr, data);
  }

  /** Fill `len` bytes with `byte` (`memset`). */
  *fill(addr: number, len: number, byte: number): Blocking<void> {
    let off = 0;
    while (off < len) {
      const n = Math.min(len - off, PAGE - ((addr + off) % PAGE));
      const runs = yield* this.#resolve(addr + off, n, 'write', 0);
      const p = runs[0]!;
      this.#bytes.fill(byte, p, p + n);
      this.#wrote(p, n);
      off += n;
    }
  }

  /** Write a NUL-terminated string (`copy_cstring`). */
  write_cstring(addr: number, text: string): Blocking<void> {
    const b = new Uint8Array(text.length + 1);
    for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i) & 0xff;
    return this.#writeBytes(addr, b);
  }
}
