import type { Quota_guard } from './quota.js';

/** Where a core object's metadata is charged: a session's RAM and capability guards. */
export interface Md_account {
  readonly ram: Quota_guard;
  readonly caps: Quota_guard;
}

/** Outcome of a metadata allocation. */
export type Md_result = 'OK' | 'OUT_OF_RAM' | 'OUT_OF_CAPS';

/**
 * Slab accounting for core metadata (spec/genode.md §3.5), modelled on the AVL allocator behind
 * every region map: objects live in slab blocks; the first block is embedded in the region-map
 * object itself (`Allocator_avl`'s initial slab block), every further block comes from the
 * session's sliced heap and costs one page of RAM plus one capability (its dataspace). A block
 * is released when its last object goes.
 *
 * Model figures: a region takes two AVL blocks (~128 bytes on 64-bit), a slab block is
 * 256·sizeof(long) = 2 KiB, so 16 regions per block.
 */
export class Slab_accounting {
  readonly #account: Md_account;
  readonly #perBlock: number;
  readonly #chargeRam: number;
  #objects = 0;

  constructor(account: Md_account, objectSize: number, blockSize = 2048, chargeRam = 4096) {
    this.#account = account;
    this.#chargeRam = chargeRam;
    this.#perBlock = Math.max(1, Math.floor(blockSize / objectSize));
  }

  /** Objects allocated. */
  get objects(): number {
    return this.#objects;
  }

  /** Charged blocks (the embedded one is free). */
  get charged_blocks(): number {
    return Math.max(0, Math.ceil(this.#objects / this.#perBlock) - 1);
  }

  #needs_block(): boolean {
    return this.#objects >= this.#perBlock && this.#objects % this.#perBlock === 0;
  }

  /** Whether one more object could be allocated now. */
  can_alloc(): Md_result {
    if (!this.#needs_block()) return 'OK';
    if (this.#account.ram.avail < this.#chargeRam) return 'OUT_OF_RAM';
    if (this.#account.caps.avail < 1) return 'OUT_OF_CAPS';
    return 'OK';
  }

  /** Allocate one object, charging a new block if needed. */
  alloc(): Md_result {
    const r = this.can_alloc();
    if (r !== 'OK') return r;
    if (this.#needs_block()) {
      this.#account.ram.try_withdraw(this.#chargeRam);
      this.#account.caps.try_withdraw(1);
    }
    this.#objects++;
    return 'OK';
  }

  /** Free one object, releasing its block when it becomes empty. */
  free(): void {
    if (this.#objects === 0) return;
    this.#objects--;
    if (this.#needs_block()) {
      this.#account.ram.replenish(this.#chargeRam);
      this.#account.caps.replenish(1);
    }
  }
}

/** Bytes of metadata per region (see {@link Slab_accounting}). */
export const REGION_MD_SIZE = 128;
