import { ObjType } from './constants.js';
import { Kobject } from './kobject.js';
import type { MdbNode } from './mdb.js';
import { PageTable } from './page-table.js';
import { Quota } from './quota.js';
import { RangeIndex } from './range-index.js';

/**
 * A protection domain: three capability spaces (object, memory, port I/O), the page tables
 * derived from them (host, guest = nested page table, DMA), and a kernel-memory quota.
 */
export class Pd extends Kobject {
  readonly type: typeof ObjType.PD = ObjType.PD;
  readonly obj: RangeIndex<MdbNode> = new RangeIndex();
  readonly mem: RangeIndex<MdbNode> = new RangeIndex();
  readonly pio: RangeIndex<MdbNode> = new RangeIndex();
  readonly host: PageTable = new PageTable('host');
  readonly guest: PageTable = new PageTable('guest');
  readonly dma: PageTable = new PageTable('dma');
  readonly quota: Quota = new Quota();
  /** The PD whose create_pd made this one (quota returns there on destruction). */
  readonly creator: Pd | null;
  /** Live ECs bound to this PD. */
  ecs = 0;
  /** The kernel's own space (source of H delegations). */
  readonly isKernel: boolean;
  /** The root PD. */
  isRoot = false;
  /** Name for traces. */
  label: string;

  constructor(id: number, creator: Pd | null, isKernel: boolean, label: string) {
    super(id);
    this.creator = creator;
    this.isKernel = isKernel;
    this.label = label;
  }

  /** The capability space of CRD type 1 (memory), 2 (I/O) or 3 (object). */
  space(kind: number): RangeIndex<MdbNode> | undefined {
    return kind === 1 ? this.mem : kind === 2 ? this.pio : kind === 3 ? this.obj : undefined;
  }
}
