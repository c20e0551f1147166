import {
  type Blocking,
  type Capability,
  type Env,
  Region_map_client,
  Rm_connection,
} from '@genode-ts/genode-base';
import { GuestMemoryError } from '../errors.js';
import type { LoadChunk } from '../loaders/load-plan.js';
import type { MemoryMapEntry, MemoryType } from '../memory/guest-memory.js';
import { PC_HIGH_MEMORY_START, PC_LOW_HOLE_START, pcMemoryMap } from '../memory/pc-memory-map.js';
import type { Backed_region } from '../npt/npt-block.js';
import { PAGE_SIZE } from '../types.js';

/** The guest-physical span the window covers: the 32-bit physical address space. */
export const GUEST_WINDOW_SIZE: number = 2 ** 32;

/** What backs a range of guest-physical memory. */
export type Guest_region_kind = 'ram' | 'framebuffer' | 'memory';

/** A RAM dataspace attached into the guest-memory window. */
export interface Guest_region {
  readonly name: string;
  readonly kind: Guest_region_kind;
  /** Guest-physical base. */
  readonly gpa: number;
  readonly size: number;
  /** The dataspace backing it. */
  readonly ds: Capability;
}

/** A carve-out from the top of guest RAM (Seoul's `OP_ALLOC_FROM_GUEST`). */
interface Carve_out {
  readonly gpa: number;
  readonly size: number;
  readonly type: MemoryType;
}

/** Options of {@link Guest_memory}. */
export interface Guest_memory_options {
  /** Bytes of guest RAM (a multiple of 4 KiB, at least 4 KiB). */
  readonly ram: number;
  /** Label of the RM session (default `guest memory`). */
  readonly label?: string;
}

/**
 * Guest-physical memory of a VM, backed by RAM dataspaces (Seoul's `Guest_memory`,
 * repos/ports/src/app/seoul/main.cc; the 2013 `Vmm::Guest_memory` was its first form).
 *
 * The dataspaces are attached into a region map of their own — the **guest-memory window** — at
 * their guest-physical addresses, and that window is attached anywhere into the VMM's address
 * space (`Rm_connection::create`, then `env.rm()`): VMM-local `window + X` is where the VMM sees
 * guest-physical X. When the VMM first touches such an address, core resolves the page fault by
 * walking the VMM's address space, the window and the RAM dataspace and maps the largest block it
 * can (spec/genode.md §3.4). The NPT handler delegates from there into the guest.
 *
 * Layout: one RAM dataspace covers guest-physical `[0, ram)` (naturally aligned, so core and the
 * NPT handler can use large blocks); the PC memory map marks `[640 KiB, 1 MiB)` as reserved and
 * that range is *not* backed for the guest (accesses there are MMIO and read all ones, as on a PC
 * without VGA and BIOS ROMs). Further regions (a framebuffer) may be attached at any
 * guest-physical address ({@link attach_region}); firmware tables are carved from the top of
 * RAM ({@link alloc_from_guest}).
 *
 * @example
 * ```ts
 * const mem = new Guest_memory(env, { ram: 16 << 20 });
 * const fw = mem.alloc_from_guest(4096, 'acpi'); // 0xfff000: an ACPI table page at the top
 * yield* mem.load(plan.chunks);                  // a loader's plan, written before the VM runs
 * ```
 */
export class Guest_memory {
  readonly #env: Env;
  readonly #rm: Rm_connection;
  readonly #window: Region_map_client;
  readonly #local: number;
  readonly #regions: Guest_region[] = [];
  readonly #carved: Carve_out[] = [];
  readonly #view: DataView;
  #remaining: number;
  #destroyed = false;
  /** Bytes of guest RAM. */
  readonly ram_size: number;
  /** The RAM dataspace of guest-physical `[0, ram)`. */
  readonly ram_ds: Capability;

  constructor(env: Env, options: Guest_memory_options) {
    const ram = options.ram;
    if (!Number.isSafeInteger(ram) || ram < PAGE_SIZE || ram % PAGE_SIZE !== 0 || ram > GUEST_WINDOW_SIZE) {
      throw new GuestMemoryError(
        'BAD_MAP',
        `guest RAM of ${String(ram)} bytes is not a page multiple in [4 KiB, 4 GiB]`,
      );
    }
    this.#env = env;
    this.ram_size = ram;
    this.#remaining = ram;
    this.#view = new DataView(env.kernel.memory.buffer);
    this.#rm = new Rm_connection(env, options.label ?? 'guest memory');
    this.#window = new Region_map_client(env, this.#rm.create(GUEST_WINDOW_SIZE));
    const r = env.rm().attach(this.#window.dataspace(), { writeable: true, executable: true });
    if (!r.ok) throw new GuestMemoryError('BAD_MAP', `cannot attach the guest-memory window: ${r.error}`);
    this.#local = r.range.start;
    this.ram_ds = env.ram().alloc(ram);
    this.#attach({ name: 'RAM', kind: 'ram', gpa: 0, size: ram, ds: this.ram_ds });
  }

  #attach(region: Guest_region): void {
    const r = this.#window.attach(region.ds, {
      use_at: true,
      at: region.gpa,
      writeable: true,
      executable: true,
    });
    if (!r.ok) {
      throw new GuestMemoryError(
        'BAD_MAP',
        `cannot attach ${region.name} at guest-physical 0x${region.gpa.toString(16)}: ${r.error}`,
      );
    }
    this.#regions.push(region);
  }

  /** VMM-local address of guest-physical 0 (the window's base). */
  window_base(): number {
    return this.#local;
  }

  /** The window's region map (RAM dataspaces at guest-physical offsets). */
  window(): Region_map_client {
    return this.#window;
  }

  /** VMM-local address of guest-physical `gpa`. */
  local(gpa: number): number {
    return this.#local + gpa;
  }

  /** The dataspaces attached into the window, in order. */
  regions(): readonly Guest_region[] {
    return this.#regions;
  }

  /** End of the highest backed guest-physical byte (what a colocated VM's reservation must cover). */
  backed_end(): number {
    return Math.max(...this.#regions.map((r) => r.gpa + r.size));
  }

  /**
   * Attaches a further RAM dataspace of `size` bytes at guest-physical `gpa` (a framebuffer, or
   * more memory); the guest reaches it through NPT faults like RAM. Throws
   * {@link GuestMemoryError} on overlap.
   */
  attach_region(
    name: string,
    gpa: number,
    size: number,
    kind: Guest_region_kind = 'framebuffer',
  ): Guest_region {
    if (
      !Number.isSafeInteger(gpa) ||
      !Number.isSafeInteger(size) ||
      gpa % PAGE_SIZE !== 0 ||
      size <= 0 ||
      gpa + size > GUEST_WINDOW_SIZE
    ) {
      throw new GuestMemoryError(
        'BAD_MAP',
        `${name}: 0x${gpa.toString(16)}+0x${size.toString(16)} is not a page-aligned range below 4 GiB`,
      );
    }
    const ds = this.#env.ram().alloc(size);
    const region: Guest_region = { name, kind, gpa, size: Math.ceil(size / PAGE_SIZE) * PAGE_SIZE, ds };
    try {
      this.#attach(region);
    } catch (e) {
      this.#env.ram().free(ds);
      throw e;
    }
    return region;
  }

  /**
   * Seoul's `OP_ALLOC_FROM_GUEST`: carves `size` bytes (page-rounded) from the top of the guest
   * RAM that is still free and returns its guest-physical address, or `undefined` when it does
   * not fit above 1 MiB. The memory map then reports it as `type` instead of RAM.
   */
  alloc_from_guest(size: number, type: MemoryType = 'reserved'): number | undefined {
    const n = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    if (!Number.isSafeInteger(n) || n <= 0 || this.#remaining - n < PC_HIGH_MEMORY_START) return undefined;
    this.#remaining -= n;
    this.#carved.push({ gpa: this.#remaining, size: n, type });
    return this.#remaining;
  }

  /**
   * The guest's memory map: the PC layout of the RAM (`pcMemoryMap`), carve-outs from the top
   * with their types, and the extra regions as reserved.
   */
  memory_map(): MemoryMapEntry[] {
    const map: MemoryMapEntry[] = pcMemoryMap(this.#remaining);
    for (const c of [...this.#carved].sort((a, b) => a.gpa - b.gpa))
      map.push({ base: c.gpa, length: c.size, type: c.type });
    for (const r of this.#regions)
      if (r.kind !== 'ram') map.push({ base: r.gpa, length: r.size, type: 'reserved' });
    return map.sort((a, b) => a.base - b.base);
  }

  /**
   * The backed region containing guest-physical `gpa`, as the NPT handler needs it, or
   * `undefined` (MMIO). RAM is backed except for the legacy hole `[640 KiB, 1 MiB)`.
   */
  backed_region(gpa: number): Backed_region | undefined {
    for (const r of this.#regions) {
      if (gpa < r.gpa || gpa >= r.gpa + r.size) continue;
      if (r.kind === 'ram') {
        if (gpa < PC_LOW_HOLE_START) {
          const size = Math.min(r.size, PC_LOW_HOLE_START);
          return { gpa: 0, size, local: this.#local };
        }
        if (gpa < PC_HIGH_MEMORY_START) return undefined;
        return {
          gpa: PC_HIGH_MEMORY_START,
          size: r.size - PC_HIGH_MEMORY_START,
          local: this.local(PC_HIGH_MEMORY_START),
        };
      }
      return { gpa: r.gpa, size: r.size, local: this.local(r.gpa) };
    }
    return undefined;
  }

  /** Copies `data` to guest-physical `gpa` (through the VMM's window: may fault, blocks). */
  *write(gpa: number, data: Uint8Array): Blocking<void> {
    this.#check(gpa, data.length);
    yield* this.#env.rm().local.write(this.local(gpa), data);
  }

  /** Copies `length` bytes from guest-physical `gpa`. */
  *read(gpa: number, length: number): Blocking<Uint8Array> {
    this.#check(gpa, length);
    return yield* this.#env.rm().local.read(this.local(gpa), length);
  }

  #check(gpa: number, length: number): void {
    const ok = this.#regions.some((r) => gpa >= r.gpa && gpa + length <= r.gpa + r.size);
    if (!ok || length < 0) {
      throw new GuestMemoryError(
        'OUTSIDE_RAM',
        `guest-physical 0x${gpa.toString(16)}+0x${length.toString(16)} is not backed`,
      );
    }
  }

  /**
   * A `size`-byte read of guest-physical `gpa` if the VMM's page is mapped now (no fault), else
   * `undefined` — what code that cannot block (the instruction emulator's callbacks) uses.
   */
  read_now(gpa: number, size: 1 | 2 | 4): number | undefined {
    const p = this.#phys(gpa, size, 'read');
    if (p === undefined) return undefined;
    return size === 1
      ? this.#view.getUint8(p)
      : size === 2
        ? this.#view.getUint16(p, true)
        : this.#view.getUint32(p, true);
  }

  /** A `size`-byte write if the VMM's page is mapped writeable now; returns whether it happened. */
  write_now(gpa: number, size: 1 | 2 | 4, value: number): boolean {
    const p = this.#phys(gpa, size, 'write');
    if (p === undefined) return false;
    if (size === 1) this.#view.setUint8(p, value);
    else if (size === 2) this.#view.setUint16(p, value, true);
    else this.#view.setUint32(p, value >>> 0, true);
    this.#env.kernel.ramWritten?.(p, size); // decoded guest code in those bytes is stale now
    return true;
  }

  #phys(gpa: number, size: number, access: 'read' | 'write'): number | undefined {
    const local = this.local(gpa);
    const p = this.#env.rm().local.probe(local, access);
    if (p === undefined) return undefined;
    if ((local % PAGE_SIZE) + size <= PAGE_SIZE) return p;
    return undefined; // straddles a page: the caller splits it
  }

  /**
   * Writes a loader's checked plan (`LoadChunk`s) before the VM starts, through a temporary
   * attachment of each RAM dataspace (the boot loader's own window, detached afterwards), so that
   * the VMM's guest-memory window stays untouched until the guest's first NPT faults.
   */
  *load(chunks: readonly LoadChunk[]): Blocking<void> {
    const views = new Map<Guest_region, number>();
    const rm = this.#env.rm();
    try {
      for (const c of chunks) {
        if (c.length === 0) continue;
        this.#check(c.address, c.length);
        const region = this.#regions.find(
          (r) => c.address >= r.gpa && c.address + c.length <= r.gpa + r.size,
        )!;
        let view = views.get(region);
        if (view === undefined) {
          const r = rm.attach(region.ds, { writeable: true });
          if (!r.ok)
            throw new GuestMemoryError('BAD_MAP', `cannot attach ${region.name} for loading: ${r.error}`);
          view = r.range.start;
          views.set(region, view);
        }
        const at = view + (c.address - region.gpa);
        const n = Math.min(c.data?.length ?? 0, c.length);
        if (n > 0) yield* rm.local.write(at, c.data!.subarray(0, n));
        // fresh RAM dataspaces are zeroed by core: the zero part of a chunk (BSS) needs no write
        // unless the region was written before (a second load)
        if (n < c.length && this.#loaded) yield* rm.local.fill(at + n, c.length - n, 0);
      }
      this.#loaded = true;
    } finally {
      for (const view of views.values()) rm.detach(view);
    }
  }

  #loaded = false;

  /** Detaches the window, frees the dataspaces and closes the RM session. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#env.rm().detach(this.#local);
    for (const r of this.#regions) this.#env.ram().free(r.ds);
    this.#rm.close();
  }
}
