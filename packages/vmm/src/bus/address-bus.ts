import { BusError } from '../errors.js';
import {
  type AccessPiece,
  type AccessSize,
  type AccessSizes,
  ANY_ACCESS,
  allOnes,
  checkAccessSizes,
  isValidAccess,
  planAccess,
} from './access-sizes.js';
import type { RegistrationJournal } from './registration-journal.js';

/**
 * The message a device handler receives for one access (Seoul's `MessageIOIn`/`MessageMem`: a
 * plain object with a reply field). The bus reuses one object per bus: read what you need during
 * the call, do not keep it.
 */
export interface BusAccess {
  /** Absolute address (port number or guest-physical address) of the first byte. */
  address: number;
  /** `address` minus the region's base. Always a multiple of `size`. */
  offset: number;
  /** Width in bytes, within the region's `impl` sizes. */
  size: AccessSize;
  /**
   * Write: the value written. Read: the reply field: the handler stores the value it returns
   * (the bus masks it to `size` bytes).
   */
  value: number;
  /**
   * The bytes that belong to the guest access: `0xff` per byte lane, all lanes for a normal
   * access. A narrower guest write widened to the device's `impl.min` arrives with a partial mask
   * (the other lanes of `value` are zero); merge it with `(old & ~mask) | (value & mask)`.
   */
  mask: number;
}

/**
 * A device's side of an address-decoded region. Each method returns whether the device claimed
 * the access; an unclaimed read yields all-ones and an unclaimed write is dropped, exactly as on
 * a bus where nobody answers. A missing method claims nothing.
 */
export interface BusHandler {
  /** Fires on a guest read in the region; set `access.value` and return `true`. */
  read?(access: BusAccess): boolean;
  /** Fires on a guest write in the region; return `true` if the device took it. */
  write?(access: BusAccess): boolean;
}

/** What a device registers on an address-decoded bus. */
export interface RegionSpec {
  /** Name of the device that owns the range (used in overlap errors and traces). */
  readonly owner: string;
  /** First address of the range. */
  readonly base: number;
  /** Number of addresses (bytes) in the range. */
  readonly length: number;
  /** What the guest may do (default {@link ANY_ACCESS}). */
  readonly valid?: AccessSizes;
  /** What the handler implements (default: the bus's default, see the concrete bus). */
  readonly impl?: AccessSizes;
  readonly handler: BusHandler;
}

/** A registered range, as the bus keeps and lists it. */
export interface Region {
  readonly owner: string;
  readonly base: number;
  readonly length: number;
  readonly valid: AccessSizes;
  readonly impl: AccessSizes;
  readonly handler: BusHandler;
}

/** Counters of an address-decoded bus, for the VMM's report. */
export interface BusStats {
  /** Guest reads dispatched (one per guest access, however it was split). */
  reads: number;
  /** Guest writes dispatched. */
  writes: number;
  /** Guest accesses of which at least one byte was claimed by nobody. */
  unclaimed: number;
  /** Guest accesses refused because the region's `valid` sizes forbid them. */
  invalid: number;
}

/** Why {@link AddressBus.onUnhandled} fired. */
export type UnhandledReason = 'unclaimed' | 'invalid';

/**
 * An address-decoded bus (rust-vmm `Bus`, QEMU's address spaces): ranges never overlap, an
 * access goes to the one device whose range holds it, split and merged to the widths that device
 * implements. Shared by {@link PortIoBus} (16-bit port space) and {@link MmioBus}.
 *
 * An access that straddles two regions, or a region and a hole, is split into single bytes that
 * are decoded one by one (unclaimed bytes read 0xff), as the ISA bus splits a word access that
 * leaves an 8-bit device.
 */
export abstract class AddressBus {
  /** Counters since construction. */
  readonly stats: BusStats = { reads: 0, writes: 0, unclaimed: 0, invalid: 0 };
  /**
   * Fires when a guest access (or one byte of it) is unclaimed or invalid; for traces. Default:
   * nothing.
   */
  onUnhandled: (reason: UnhandledReason, kind: 'read' | 'write', address: number, size: number) => void =
    () => {};

  /** @internal Set by `Motherboard.add` while a device is created. */
  journal: RegistrationJournal | undefined;

  private readonly msg: BusAccess = { address: 0, offset: 0, size: 1, value: 0, mask: 0xff };
  private readonly kindName: string;
  private readonly limit: number;
  private readonly defaultImpl: AccessSizes;

  protected constructor(kindName: string, limit: number, defaultImpl: AccessSizes) {
    this.kindName = kindName;
    this.limit = limit;
    this.defaultImpl = defaultImpl;
  }

  /** The region holding `address`, if any. */
  abstract find(address: number): Region | undefined;
  /** All regions, by base address. */
  abstract regions(): readonly Region[];
  protected abstract insert(region: Region): void;
  protected abstract remove(region: Region): void;

  /**
   * Claims `[base, base + length)` for a device. Throws {@link BusError} `BUS_OVERLAP` (naming
   * both owners) when any address is taken, `BAD_RANGE` for an empty range or one outside the
   * bus, `BAD_ACCESS_SIZES` for inconsistent sizes or a region not aligned to `impl.min`.
   * Returns the region, which {@link unregister} takes back.
   */
  register(spec: RegionSpec): Region {
    const { owner, base, length } = spec;
    if (
      !Number.isInteger(base) ||
      !Number.isInteger(length) ||
      base < 0 ||
      length <= 0 ||
      base + length > this.limit
    ) {
      throw new BusError(
        'BAD_RANGE',
        `${this.kindName} range of '${owner}' is invalid: base ${fmt(base)}, length ${String(length)} (the bus ends at ${fmt(this.limit - 1)})`,
      );
    }
    const valid = spec.valid ?? ANY_ACCESS;
    const impl = spec.impl ?? this.defaultImpl;
    checkAccessSizes(valid, `${this.kindName} range of '${owner}' (valid)`);
    checkAccessSizes(impl, `${this.kindName} range of '${owner}' (impl)`);
    if (base % impl.min !== 0 || length % impl.min !== 0) {
      throw new BusError(
        'BAD_ACCESS_SIZES',
        `${this.kindName} range of '${owner}' (${range(base, length)}) must be aligned to its smallest implemented access (${impl.min} bytes)`,
      );
    }
    for (const r of this.regions()) {
      if (base < r.base + r.length && r.base < base + length) {
        throw new BusError(
          'BUS_OVERLAP',
          `${this.kindName} range ${range(base, length)} of '${owner}' overlaps ${range(r.base, r.length)} of '${r.owner}'`,
        );
      }
    }
    const region: Region = Object.freeze({ owner, base, length, valid, impl, handler: spec.handler });
    this.insert(region);
    this.journal?.record(() => this.remove(region));
    return region;
  }

  /** Releases a region returned by {@link register}; throws `NOT_REGISTERED` if it is not there. */
  unregister(region: Region): void {
    if (!this.regions().includes(region)) {
      throw new BusError(
        'NOT_REGISTERED',
        `${this.kindName} range ${range(region.base, region.length)} of '${region.owner}' is not registered`,
      );
    }
    this.remove(region);
  }

  /**
   * A guest read of `size` bytes at `address`: the value (little-endian), all-ones for every byte
   * nobody claims.
   */
  read(address: number, size: AccessSize): number {
    this.stats.reads++;
    const r = this.find(address);
    if (r !== undefined && address + size <= r.base + r.length) {
      const off = address - r.base;
      if (!isValidAccess(r.valid, off, size)) return this.invalid('read', address, size);
      if (size >= r.impl.min && size <= r.impl.max && off % size === 0) {
        const m = this.msg;
        m.address = address;
        m.offset = off;
        m.size = size;
        m.value = 0;
        m.mask = allOnes(size);
        if (r.handler.read?.(m)) return (size === 4 ? m.value >>> 0 : m.value & m.mask) >>> 0;
        return this.unclaimed('read', address, size);
      }
      return this.readPieces(r, off, size);
    }
    if (r === undefined && !this.anyIn(address, size)) return this.unclaimed('read', address, size);
    // Straddles a region boundary: byte by byte.
    let value = 0;
    let missed = false;
    for (let i = 0; i < size; i++) {
      const a = address + i;
      const br = a < this.limit ? this.find(a) : undefined;
      let b = 0xff;
      if (br === undefined) missed = true;
      else if (!isValidAccess(br.valid, a - br.base, 1)) {
        this.stats.invalid++;
        this.onUnhandled('invalid', 'read', a, 1);
      } else {
        const v = this.readPieces(br, a - br.base, 1, true);
        if (v < 0) missed = true;
        else b = v;
      }
      value |= b << (8 * i);
    }
    if (missed) {
      this.stats.unclaimed++;
      this.onUnhandled('unclaimed', 'read', address, size);
    }
    return value >>> 0;
  }

  /** A guest write of `size` bytes at `address`. Returns whether every byte was claimed. */
  write(address: number, size: AccessSize, value: number): boolean {
    this.stats.writes++;
    value = size === 4 ? value >>> 0 : value & allOnes(size);
    const r = this.find(address);
    if (r !== undefined && address + size <= r.base + r.length) {
      const off = address - r.base;
      if (!isValidAccess(r.valid, off, size)) {
        this.invalid('write', address, size);
        return false;
      }
      if (size >= r.impl.min && size <= r.impl.max && off % size === 0) {
        const m = this.msg;
        m.address = address;
        m.offset = off;
        m.size = size;
        m.value = value;
        m.mask = allOnes(size);
        if (r.handler.write?.(m)) return true;
        this.unclaimed('write', address, size);
        return false;
      }
      return this.writePieces(r, off, size, value);
    }
    if (r === undefined && !this.anyIn(address, size)) {
      this.unclaimed('write', address, size);
      return false;
    }
    let all = true;
    for (let i = 0; i < size; i++) {
      const a = address + i;
      const br = a < this.limit ? this.find(a) : undefined;
      const b = (value >>> (8 * i)) & 0xff;
      if (br === undefined) all = false;
      else if (!isValidAccess(br.valid, a - br.base, 1)) {
        this.stats.invalid++;
        this.onUnhandled('invalid', 'write', a, 1);
        all = false;
      } else if (!this.writePieces(br, a - br.base, 1, b, true)) all = false;
    }
    if (!all) {
      this.stats.unclaimed++;
      this.onUnhandled('unclaimed', 'write', address, size);
    }
    return all;
  }

  /** Whether any region intersects `[address, address + size)`. */
  private anyIn(address: number, size: number): boolean {
    for (let i = 0; i < size; i++) {
      const a = address + i;
      if (a < this.limit && this.find(a) !== undefined) return true;
    }
    return false;
  }

  private invalid(kind: 'read' | 'write', address: number, size: number): number {
    this.stats.invalid++;
    this.onUnhandled('invalid', kind, address, size);
    return allOnes(size);
  }

  private unclaimed(kind: 'read' | 'write', address: number, size: number): number {
    this.stats.unclaimed++;
    this.onUnhandled('unclaimed', kind, address, size);
    return allOnes(size);
  }

  /**
   * Reads through the pieces of {@link planAccess}. With `quiet`, returns -1 instead of counting
   * an unclaimed access (the caller counts once per guest access).
   */
  private readPieces(r: Region, off: number, size: AccessSize, quiet = false): number {
    const pieces: readonly AccessPiece[] =
      size >= r.impl.min && size <= r.impl.max && off % size === 0
        ? [{ offset: off, size, mask: allOnes(size), shift: 0 }]
        : planAccess(r.impl, off, size);
    let value = 0;
    let missed = false;
    const m = this.msg;
    for (const p of pieces) {
      m.address = r.base + p.offset;
      m.offset = p.offset;
      m.size = p.size;
      m.value = 0;
      m.mask = p.mask;
      let v: number;
      if (r.handler.read?.(m)) v = m.value;
      else {
        missed = true;
        v = 0xffffffff;
      }
      const bytes = (v & p.mask) >>> 0;
      value |= p.shift >= 0 ? bytes << p.shift : bytes >>> -p.shift;
    }
    if (missed) {
      if (quiet) return -1;
      this.stats.unclaimed++;
      this.onUnhandled('unclaimed', 'read', r.base + off, size);
    }
    return (value & allOnes(size)) >>> 0;
  }

  private writePieces(r: Region, off: number, size: AccessSize, value: number, quiet = false): boolean {
    const pieces: readonly AccessPiece[] =
      size >= r.impl.min && size <= r.impl.max && off % size === 0
        ? [{ offset: off, size, mask: allOnes(size), shift: 0 }]
        : planAccess(r.impl, off, size);
    let all = true;
    const m = this.msg;
    for (const p of pieces) {
      m.address = r.base + p.offset;
      m.offset = p.offset;
      m.size = p.size;
      m.value = ((p.shift >= 0 ? value >>> p.shift : value << -p.shift) & p.mask) >>> 0;
      m.mask = p.mask;
      if (!r.handler.write?.(m)) all = false;
    }
    if (!all && !quiet) {
      this.stats.unclaimed++;
      this.onUnhandled('unclaimed', 'write', r.base + off, size);
    }
    return all;
  }
}

/** `0x3f8` style. */
export function fmt(n: number): string {
  return `0x${n.toString(16)}`;
}

/** `0x3f8-0x3ff` style (inclusive end). */
export function range(base: number, length: number): string {
  return `${fmt(base)}-${fmt(base + length - 1)}`;
}
