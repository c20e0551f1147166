import type { Quota_guard } from './quota.js';

/** Where a core object's metadata is charged: a session's RAM and capability guards. */
export interface Md_account {
  readonly ram: Quota_guard;
  readonly caps: Quota_guard;
}

/** Outcome of a metadata allocation. */
export type Md_result = 'OK' | 'OUT_OF_RAM' | 'OUT_OF_CAPS';

/**
 * Slab accounting for core metadata (spec/genode.md §3.5): objects of `objectSize` bytes live in
 * blocks of `blockSize` bytes; each block is backed by one RAM dataspace of core's sliced heap and
 * therefore costs `blockSize` bytes and one capability of the owning session. A block is
 * released when its last object goes.
 *
 * Model choice: Genode's region metadata (an AVL block plus an `Rm_region`) is about 128 bytes on
 * 64-bit, so a 4 KiB block holds 32 regions.
 */
export class Slab_accounting {
  readonly #account: Md_account;
  readonly #perBlock: number;
  readonly #blockSize: number;
  #objects = 0;

  constructor(account: Md_account, objectSize: number, blockSize = 4096) {
    this.#account = account;
    this.#blockSize = blockSize;
    this.#perBlock = Math.max(1, Math.floor(blockSize / objectSize));
  }

  /** Objects allocated. */
  get objects(): number {
    return this.#objects;
  }

  /** Whether one more object could be allocated now. */
  can_alloc(): Md_result {
    if (this.#objects % this.#perBlock !== 0) return 'OK';
    if (this.#account.ram.avail < this.#blockSize) return 'OUT_OF_RAM';
    if (this.#account.caps.avail < 1) return 'OUT_OF_CAPS';
    return 'OK';
  }

  /** Allocate one object, charging a new block if needed. */
  alloc(): Md_result {
    const r = this.can_alloc();
    if (r !== 'OK') return r;
    if (this.#objects % this.#perBlock === 0) {
      this.#account.ram.try_withdraw(this.#blockSize);
      this.#account.caps.try_withdraw(1);
    }
    this.#objects++;
    return 'OK';
  }

  /** Free one object, releasing its block when it becomes empty. */
  free(): void {
    if (this.#objects === 0) return;
    this.#objects--;
    if (this.#objects % this.#perBlock === 0) {
      this.#account.ram.replenish(this.#blockSize);
      this.#account.caps.replenish(1);
    }
  }
}

/** Bytes of metadata per region (see {@link Slab_accounting}). */
export const REGION_MD_SIZE = 128;
