import type { Dataspace_component } from './dataspace-component.js';

/**
 * What a region refers back to: the region map (or VM session) holding it. Dataspace destruction
 * calls `reserve_and_flush`; detaching calls `detach_at` (`Core::Region_map_detach`).
 */
export interface Region_map_detach {
  detach_at(at: number): void;
  reserve_and_flush(at: number): void;
}

/**
 * One attachment (`Core::Rm_region`): `[base, base+size)` shows the dataspace from `offset` with
 * the region's rights. A reserved region has lost its dataspace (it was destroyed) but keeps
 * its range until detached.
 */
export class Rm_region {
  readonly rm: Region_map_detach;
  readonly base: number;
  readonly size: number;
  readonly offset: number;
  readonly write: boolean;
  readonly exec: boolean;
  readonly dma: boolean;
  dsc: Dataspace_component | null;

  constructor(
    rm: Region_map_detach,
    dsc: Dataspace_component,
    attr: { base: number; size: number; offset: number; write: boolean; exec: boolean; dma: boolean },
  ) {
    this.rm = rm;
    this.dsc = dsc;
    this.base = attr.base;
    this.size = attr.size;
    this.offset = attr.offset;
    this.write = attr.write;
    this.exec = attr.exec;
    this.dma = attr.dma;
  }

  /** Whether the dataspace is gone and only the range is kept. */
  get reserved(): boolean {
    return this.dsc === null;
  }

  /** Genode's print format: `[base,last (rwx) offset: off`. */
  toString(): string {
    return `[0x${this.base.toString(16)},0x${(this.base + this.size - 1).toString(16)} (r${this.write ? 'w' : '-'}${this.exec ? 'x' : '-'}) offset: 0x${this.offset.toString(16)}${this.dma ? ' DMA' : ''}`;
  }
}
