import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';

/**
 * A compiled block: runs the block's instructions (possibly several times around a self-loop)
 * and adds what retired to `c.retired`; a fault is thrown like in the interpreter, with EIP
 * restored to the faulting instruction and the instructions before it counted. Returns the
 * chained successor to run next (still to be checked against the budget), or null.
 */
export type CompiledBlock = (c: Cpu) => Block | null;

/**
 * A basic block of decoded instructions: straight-line code that starts at physical address
 * `phys` in code mode `mode` and ends with a control transfer, a state change the decoder depends
 * on, or the page end. Only a block of one instruction that runs into the next page crosses a
 * page; `phys2` then holds the physical address of that second page.
 */
export class Block {
  readonly phys: number;
  readonly mode: number;
  readonly insns: Insn[];
  /** Total length in bytes. */
  readonly bytes: number;
  /** Instruction-pointer wrap mask (0xffff for 16-bit code, -1 for 32-bit). */
  readonly ipMask: number;
  /**
   * Physical address (page-aligned) of the page the block's single instruction runs into, or -1.
   * The fetch checks that the current mapping still leads there; writes to it invalidate.
   */
  phys2 = -1;
  /** Cleared when a write to the page (or a flush) invalidates the block. */
  valid = true;
  /** Executions so far (drives compilation). */
  hits = 0;
  /** The block compiled to a JavaScript function, once hot. */
  compiled: CompiledBlock | null = null;
  /** Whether the block may be chained to its successors (it ends with a near transfer or falls through). */
  linkable = false;
  /** Chained successors (compiled blocks only) with their entry EIPs and the TLB generation. */
  s0: Block | null = null;
  s0e = 0;
  s1: Block | null = null;
  s1e = 0;
  sg = -1;

  constructor(phys: number, mode: number, insns: Insn[], bytes: number, ipMask: number) {
    this.phys = phys;
    this.mode = mode;
    this.insns = insns;
    this.bytes = bytes;
    this.ipMask = ipMask;
  }
}

/** Bytes per code-tracking chunk: a write invalidates only blocks in the chunks it touches. */
export const CODE_CHUNK = 128;

/** Bit mask of the 128-byte chunks of a page that `[off, off + len)` touches (offsets in the page). */
export function chunkMask(off: number, len: number): number {
  const first = off >>> 7;
  const last = Math.min(4095, off + len - 1) >>> 7;
  const n = last - first + 1;
  return n >= 32 ? -1 : (((1 << n) - 1) << first) | 0;
}

interface PageCode {
  blocks: Block[];
  /** Chunks of the page that hold decoded code. */
  mask: number;
}

/**
 * The decoded-code cache of one physical memory, shared by every CPU on it: blocks keyed by
 * physical address and code mode, listed per physical page with a 128-byte chunk mask, so that a
 * write to a code page drops only the blocks whose bytes it touches (data next to code stays
 * cheap).
 */
export class CodeCache {
  private readonly map = new Map<number, Block>();
  private readonly byPage = new Map<number, PageCode>();
  /** Blocks created so far (statistics). */
  created = 0;
  /** Invalidations that dropped blocks (statistics). */
  invalidations = 0;

  /** The valid block at `phys` for `mode`, if any. */
  get(phys: number, mode: number): Block | undefined {
    return this.map.get(phys * 4 + mode);
  }

  /**
   * Adds a block. Returns a bit mask of the pages that held no code before and must now be
   * write-protected by the caller: bit 0 for the page of `phys`, bit 1 for the page of `phys2`.
   */
  add(b: Block): number {
    this.map.set(b.phys * 4 + b.mode, b);
    this.created++;
    const first = b.phys & 0xfff;
    let fresh = this.enlist(b.phys >>> 12, b, chunkMask(first, Math.min(b.bytes, 4096 - first))) ? 1 : 0;
    if (b.phys2 >= 0) {
      const second = b.bytes - (4096 - first);
      if (this.enlist(b.phys2 >>> 12, b, chunkMask(0, second))) fresh |= 2;
    }
    return fresh;
  }

  private enlist(page: number, b: Block, mask: number): boolean {
    const pc = this.byPage.get(page);
    if (pc === undefined) {
      this.byPage.set(page, { blocks: [b], mask });
      return true;
    }
    pc.blocks.push(b);
    pc.mask |= mask;
    return false;
  }

  /** Whether any block lives in the physical page. */
  hasPage(page: number): boolean {
    return this.byPage.has(page);
  }

  /**
   * A write of `len` bytes at physical `addr` (within one page): drops the blocks it touches.
   * Returns true when the page still holds code afterwards.
   */
  invalidateRange(addr: number, len: number): boolean {
    const page = addr >>> 12;
    const pc = this.byPage.get(page);
    if (pc === undefined) return false;
    const off = addr & 0xfff;
    if ((pc.mask & chunkMask(off, len)) === 0) return true;
    const end = off + len;
    let mask = 0;
    const keep: Block[] = [];
    for (const b of pc.blocks) {
      // The block's byte range within this page (a page-crossing block lies partly in another).
      let bo: number;
      let be: number;
      if (b.phys >>> 12 === page) {
        bo = b.phys & 0xfff;
        be = Math.min(4096, bo + b.bytes);
      } else {
        bo = 0;
        be = b.bytes - (4096 - (b.phys & 0xfff));
      }
      if (bo < end && off < be) {
        this.drop(b);
      } else if (b.valid) {
        keep.push(b);
        mask |= chunkMask(bo, be - bo);
      }
    }
    this.invalidations++;
    if (keep.length === 0) {
      this.byPage.delete(page);
      return false;
    }
    pc.blocks = keep;
    pc.mask = mask;
    return true;
  }

  private drop(b: Block): void {
    b.valid = false;
    const key = b.phys * 4 + b.mode;
    if (this.map.get(key) === b) this.map.delete(key);
  }

  /** Drops every block in the physical page. */
  invalidatePage(page: number): void {
    const pc = this.byPage.get(page);
    if (pc === undefined) return;
    this.invalidations++;
    for (const b of pc.blocks) this.drop(b);
    this.byPage.delete(page);
  }

  /** Drops everything. */
  clear(): void {
    for (const pc of this.byPage.values()) for (const b of pc.blocks) b.valid = false;
    this.map.clear();
    this.byPage.clear();
  }

  /** Number of cached blocks. */
  get size(): number {
    return this.map.size;
  }
}
