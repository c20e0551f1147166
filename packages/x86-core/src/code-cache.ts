import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';

/**
 * A compiled block: runs the block's instructions and returns how many retired (a fault inside
 * it is thrown like in the interpreter, after `c.eip` was left at the faulting instruction's end).
 */
export type CompiledBlock = (c: Cpu) => number;

/**
 * A basic block of decoded instructions: straight-line code that starts at physical address
 * `phys` in code mode `mode`, never crosses a page, and ends with a control transfer, a state
 * change the decoder depends on, or the page end.
 */
export class Block {
  readonly phys: number;
  readonly mode: number;
  readonly insns: Insn[];
  /** Total length in bytes. */
  readonly bytes: number;
  /** Instruction-pointer wrap mask (0xffff for 16-bit code, -1 for 32-bit). */
  readonly ipMask: number;
  /** Cleared when a write to the page (or a flush) invalidates the block. */
  valid = true;
  /** Executions so far (drives compilation). */
  hits = 0;
  /** The block compiled to a JavaScript function, once hot. */
  compiled: CompiledBlock | null = null;

  constructor(phys: number, mode: number, insns: Insn[], bytes: number, ipMask: number) {
    this.phys = phys;
    this.mode = mode;
    this.insns = insns;
    this.bytes = bytes;
    this.ipMask = ipMask;
  }
}

/**
 * The decoded-code cache of one physical memory, shared by every CPU on it: blocks keyed by
 * physical address and code mode, listed per physical page so that a write to a code page drops
 * exactly that page's blocks.
 */
export class CodeCache {
  private readonly map = new Map<number, Block>();
  private readonly byPage = new Map<number, Block[]>();
  /** Blocks created so far (statistics). */
  created = 0;
  /** Page invalidations so far (statistics). */
  invalidations = 0;

  /** The valid block at `phys` for `mode`, if any. */
  get(phys: number, mode: number): Block | undefined {
    return this.map.get(phys * 4 + mode);
  }

  /** Adds a block; returns true when its page held no code before (the caller must protect it). */
  add(b: Block): boolean {
    this.map.set(b.phys * 4 + b.mode, b);
    this.created++;
    const page = b.phys >>> 12;
    const list = this.byPage.get(page);
    if (list === undefined) {
      this.byPage.set(page, [b]);
      return true;
    }
    list.push(b);
    return false;
  }

  /** Whether any block lives in the physical page. */
  hasPage(page: number): boolean {
    return this.byPage.has(page);
  }

  /** Drops every block in the physical page. */
  invalidatePage(page: number): void {
    const list = this.byPage.get(page);
    if (list === undefined) return;
    this.invalidations++;
    for (const b of list) {
      b.valid = false;
      if (this.map.get(b.phys * 4 + b.mode) === b) this.map.delete(b.phys * 4 + b.mode);
    }
    this.byPage.delete(page);
  }

  /** Drops everything. */
  clear(): void {
    for (const list of this.byPage.values()) for (const b of list) b.valid = false;
    this.map.clear();
    this.byPage.clear();
  }

  /** Number of cached blocks. */
  get size(): number {
    return this.map.size;
  }
}
