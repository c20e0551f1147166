import { PAGE_SIZE } from './constants.js';
import { KernelNovaError } from './errors.js';

/**
 * Handler for physical accesses outside RAM (memory-mapped devices). Reads return the value,
 * writes are posted. Unclaimed physical addresses read as all-ones and ignore writes.
 */
export interface MmioHandler {
  read(addr: number, size: 1 | 2 | 4 | 8): number | undefined;
  write(addr: number, size: 1 | 2 | 4 | 8, value: number): boolean;
}

/**
 * The machine's physical memory: one `ArrayBuffer`; physical frame n is the 4 KiB at byte offset
 * n·4096 (DESIGN.md "The memory path"). The top of RAM is reserved for the kernel (UTCBs, the
 * HIP, vCPU state pages) and handed out page by page from a deterministic pool.
 */
export class PhysicalMemory {
  readonly buffer: ArrayBuffer;
  readonly view: DataView;
  readonly bytes: Uint8Array;
  /** Number of RAM pages. */
  readonly pages: number;
  /** First page of the kernel's reserved region. */
  readonly kernelStart: number;
  /** Optional device handler for frames beyond RAM. */
  mmio: MmioHandler | undefined = undefined;
  private readonly writeListeners: ((addr: number, length: number) => void)[] = [];
  private readonly free: number[] = [];
  private next: number;

  constructor(bytes: number, kernelPages: number) {
    if (!Number.isSafeInteger(bytes) || bytes < 16 * PAGE_SIZE || bytes % PAGE_SIZE !== 0) {
      throw new KernelNovaError('BAD_CONFIG', `memory size ${bytes} must be a multiple of 4 KiB >= 64 KiB`);
    }
    const pages = bytes / PAGE_SIZE;
    if (!Number.isSafeInteger(kernelPages) || kernelPages < 4 || kernelPages >= pages) {
      throw new KernelNovaError(
        'BAD_CONFIG',
        `kernel pool of ${kernelPages} pages does not fit ${pages} pages`,
      );
    }
    this.buffer = new ArrayBuffer(bytes);
    this.view = new DataView(this.buffer);
    this.bytes = new Uint8Array(this.buffer);
    this.pages = pages;
    this.kernelStart = pages - kernelPages;
    this.next = this.kernelStart;
  }

  /** Pages in the kernel pool. */
  get kernelPages(): number {
    return this.pages - this.kernelStart;
  }

  /** Kernel pool pages not handed out. */
  get kernelFree(): number {
    return this.pages - this.next + this.free.length;
  }

  /**
   * Hear about every write the kernel makes to RAM on behalf of host code (user-mode stores,
   * zeroed kernel pages): a vCPU engine that caches decoded guest code drops what those bytes
   * held. Code that writes {@link bytes} or {@link view} directly must tell such caches itself.
   */
  onWrite(listener: (addr: number, length: number) => void): void {
    this.writeListeners.push(listener);
  }

  /**
   * Tell the {@link onWrite} listeners that host code wrote `[addr, addr + length)` of
   * {@link bytes} directly (genode-base's `BootedKernel.ramWritten`).
   */
  notifyWrite(addr: number, length: number): void {
    for (const l of this.writeListeners) l(addr, length);
  }

  /** Take a zeroed page from the kernel pool; `undefined` when the pool is empty. */
  allocKernelPage(): number | undefined {
    let frame = this.free.pop();
    if (frame === undefined) {
      if (this.next >= this.pages) return undefined;
      frame = this.next++;
    }
    this.bytes.fill(0, frame * PAGE_SIZE, (frame + 1) * PAGE_SIZE);
    if (this.writeListeners.length > 0) this.notifyWrite(frame * PAGE_SIZE, PAGE_SIZE);
    return frame;
  }

  /** Return a page to the kernel pool. */
  freeKernelPage(frame: number): void {
    this.free.push(frame);
  }

  /** True if `frame` is RAM (below the end of the buffer). */
  isRam(frame: number): boolean {
    return frame >= 0 && frame < this.pages;
  }

  /** Read `size` bytes (little-endian) at physical address `addr`. */
  read(addr: number, size: 1 | 2 | 4 | 8): number {
    if (addr + size <= this.buffer.byteLength) {
      switch (size) {
        case 1:
          return this.view.getUint8(addr);
        case 2:
          return this.view.getUint16(addr, true);
        case 4:
          return this.view.getUint32(addr, true);
        default:
          return this.view.getUint32(addr + 4, true) * 4294967296 + this.view.getUint32(addr, true);
      }
    }
    const v = this.mmio?.read(addr, size);
    if (v !== undefined) return v;
    return size === 8 ? 2 ** 64 - 1 : 2 ** (size * 8) - 1;
  }

  /** Write `size` bytes (little-endian) at physical address `addr`. */
  write(addr: number, size: 1 | 2 | 4 | 8, value: number): void {
    if (addr + size <= this.buffer.byteLength) {
      if (this.writeListeners.length > 0) this.notifyWrite(addr, size);
      switch (size) {
        case 1:
          this.view.setUint8(addr, value);
          return;
        case 2:
          this.view.setUint16(addr, value, true);
          return;
        case 4:
          this.view.setUint32(addr, value >>> 0, true);
          return;
        default:
          this.view.setUint32(addr, value % 4294967296, true);
          this.view.setUint32(addr + 4, Math.floor(value / 4294967296) % 4294967296, true);
          return;
      }
    }
    this.mmio?.write(addr, size, value);
  }
}
