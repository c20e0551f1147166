/**
 * Address translation on a TLB miss: 32-bit two-level paging with 4 KiB and 4 MiB (PSE) pages,
 * accessed/dirty bits, CR0.WP and global pages (SDM vol. 3A, §4.3 and §4.6), then the A20 gate
 * and — in guest mode with nested paging — the host's nested page table, then the RAM/MMIO
 * decision. The result is one TLB entry ({@link ./tlb.ts}).
 */
import { Cr0, Cr4 } from './constants.js';
import type { Cpu } from './cpu.js';
import { raisePf } from './fault.js';
import { TLB_CODE, TLB_GLOBAL, TLB_MMIO, TLB_NOUSER, TLB_RO, TLB_VALID, tlbNote } from './tlb.js';

/** Access kind bit for {@link translate}: a write. */
export const ACC_WRITE = 1;
/** Access kind bit: a user-mode (CPL 3) access. */
export const ACC_USER = 2;
/** Access kind bit: an instruction fetch. */
export const ACC_FETCH = 4;

const PTE_P = 0x1;
const PTE_W = 0x2;
const PTE_U = 0x4;
const PTE_A = 0x20;
const PTE_D = 0x40;
const PTE_PS = 0x80;
const PTE_G = 0x100;

/** Bit of {@link guestPageToHost}'s result: the page may be written. */
export const NPT_WRITABLE = 1;

/**
 * Translates the guest-physical page of `gpa` for an access of kind `acc` (page-walk accesses
 * have `walk` set) and returns the host-physical page base | {@link NPT_WRITABLE}. Without
 * nested paging this is the identity (after the A20 gate). With nested paging the translator may
 * end the instruction with a nested-page-fault exit.
 */
export function guestPageToHost(c: Cpu, gpa: number, acc: number, walk: boolean): number {
  gpa &= c.a20Mask;
  if (c.npt !== null) return c.npt.translate(c, gpa, acc, walk);
  return (gpa & ~0xfff) | NPT_WRITABLE;
}

/** The host-physical address of a guest-physical one (see {@link guestPageToHost}). */
export function guestToHost(c: Cpu, gpa: number, acc: number, walk: boolean): number {
  return (guestPageToHost(c, gpa, acc, walk) & ~0xfff) | (gpa & 0xfff);
}

/**
 * Fills and returns the TLB entry for linear address `lin` for an access of kind `acc`
 * ({@link ACC_WRITE} | {@link ACC_USER} | {@link ACC_FETCH}). Raises #PF when paging forbids it.
 */
export function translate(c: Cpu, lin: number, acc: number): number {
  const vpage = lin >>> 12;
  let phys: number;
  let flags = TLB_VALID;
  if ((c.cr0 & Cr0.PG) === 0) {
    const h = guestPageToHost(c, lin, acc, false);
    phys = h & ~0xfff;
    if ((h & NPT_WRITABLE) === 0) flags |= TLB_RO;
  } else {
    const write = (acc & ACC_WRITE) !== 0;
    const user = (acc & ACC_USER) !== 0;
    const errBase = (write ? 2 : 0) | (user ? 4 : 0);
    const mem = c.mem;
    const pdeGpa = (c.cr3 & ~0xfff) + ((lin >>> 22) << 2);
    const pdeAddr = guestToHost(c, pdeGpa, 0, true);
    const pde = mem.read32(pdeAddr);
    if ((pde & PTE_P) === 0) raisePf(c, lin, errBase);
    let gphys: number;
    let rw: number;
    let us: number;
    if ((pde & PTE_PS) !== 0 && (c.cr4 & Cr4.PSE) !== 0) {
      // 4 MiB page; bits 21:13 are reserved without PSE-36 (not advertised).
      if ((pde & 0x3fe000) !== 0) raisePf(c, lin, errBase | 1 | 8);
      rw = pde & PTE_W;
      us = pde & PTE_U;
      checkAccess(c, lin, acc, rw, us, errBase);
      const want = PTE_A | (write ? PTE_D : 0);
      if ((pde & want) !== want) mem.write32(guestToHost(c, pdeGpa, ACC_WRITE, true), pde | want);
      if (!write && (pde & PTE_D) === 0) flags |= TLB_RO;
      if ((pde & PTE_G) !== 0 && (c.cr4 & Cr4.PGE) !== 0) flags |= TLB_GLOBAL;
      gphys = (pde & 0xffc00000) | (lin & 0x3ff000);
      c.tlbLarge[vpage >>> 10] = 1;
    } else {
      const pteGpa = (pde & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2);
      const pteAddr = guestToHost(c, pteGpa, 0, true);
      const pte = mem.read32(pteAddr);
      if ((pte & PTE_P) === 0) raisePf(c, lin, errBase);
      rw = pde & pte & PTE_W;
      us = pde & pte & PTE_U;
      checkAccess(c, lin, acc, rw, us, errBase);
      if ((pde & PTE_A) === 0) mem.write32(guestToHost(c, pdeGpa, ACC_WRITE, true), pde | PTE_A);
      const want = PTE_A | (write ? PTE_D : 0);
      if ((pte & want) !== want) mem.write32(guestToHost(c, pteGpa, ACC_WRITE, true), pte | want);
      if (!write && (pte & PTE_D) === 0) flags |= TLB_RO;
      if ((pte & PTE_G) !== 0 && (c.cr4 & Cr4.PGE) !== 0) flags |= TLB_GLOBAL;
      gphys = pte & ~0xfff;
    }
    if (rw === 0) flags |= TLB_RO;
    if (us === 0) flags |= TLB_NOUSER;
    const h = guestPageToHost(c, gphys | (lin & 0xfff), acc, false);
    phys = h & ~0xfff;
    if ((h & NPT_WRITABLE) === 0) flags |= TLB_RO;
  }
  const ppage = phys >>> 12;
  if (!c.mem.isRamPage(ppage)) flags |= TLB_MMIO;
  else if (c.mem.code.hasPage(ppage)) flags |= TLB_CODE;
  const entry = ((phys & ~0xfff) ^ (vpage << 12)) | flags;
  if (c.tlb[vpage] === 0) tlbNote(c, vpage);
  c.tlb[vpage] = entry;
  return entry;
}

function checkAccess(c: Cpu, lin: number, acc: number, rw: number, us: number, errBase: number): void {
  if ((acc & ACC_USER) !== 0) {
    if (us === 0) raisePf(c, lin, errBase | 1);
    if ((acc & ACC_WRITE) !== 0 && rw === 0) raisePf(c, lin, errBase | 1);
  } else if ((acc & ACC_WRITE) !== 0 && rw === 0 && (c.cr0 & Cr0.WP) !== 0) {
    raisePf(c, lin, errBase | 1);
  }
}
