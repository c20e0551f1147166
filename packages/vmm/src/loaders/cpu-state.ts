/**
 * A segment register with its hidden descriptor cache, as a VMM loads it into a vCPU (AMD SVM's
 * VMCB segment layout, which NOVA's UTCB uses too).
 */
export interface SegmentState {
  readonly selector: number;
  readonly base: number;
  readonly limit: number;
  /**
   * Descriptor attributes in SVM's 12-bit packing: type (bits 3–0), S (4), DPL (6–5), P (7),
   * AVL (8), L (9), D/B (10), G (11).
   */
  readonly attributes: number;
}

/** A descriptor-table register. */
export interface TableRegister {
  readonly base: number;
  readonly limit: number;
}

/**
 * The initial register state a loader hands to the VMM core for the boot vCPU: a plain record
 * (no x86-core types), applied once at the vCPU's startup exit.
 */
export interface InitialCpuState {
  readonly eax: number;
  readonly ebx: number;
  readonly ecx: number;
  readonly edx: number;
  readonly esi: number;
  readonly edi: number;
  readonly ebp: number;
  readonly esp: number;
  readonly eip: number;
  readonly eflags: number;
  readonly cr0: number;
  readonly cr3: number;
  readonly cr4: number;
  readonly cs: SegmentState;
  readonly ds: SegmentState;
  readonly es: SegmentState;
  readonly fs: SegmentState;
  readonly gs: SegmentState;
  readonly ss: SegmentState;
  readonly tr: SegmentState;
  readonly ldtr: SegmentState;
  readonly gdtr: TableRegister;
  readonly idtr: TableRegister;
  /** Whether the A20 gate must be open. */
  readonly a20: boolean;
}

/** CR0.PE: protected mode. */
export const CR0_PE = 0x00000001;
/** CR0.ET: 387 present (hard-wired to 1 since the 486). */
export const CR0_ET = 0x00000010;
/** EFLAGS bit 1 is reserved and always 1. */
export const EFLAGS_RESERVED = 0x00000002;

/** Attributes of a flat 32-bit code segment: type 0xb (execute/read, accessed), S, P, D, G. */
export const FLAT_CODE_ATTRIBUTES = 0xc9b;
/** Attributes of a flat 32-bit data segment: type 0x3 (read/write, accessed), S, P, B, G. */
export const FLAT_DATA_ATTRIBUTES = 0xc93;
/** A present busy 32-bit TSS (what the vCPU needs in TR even if the guest never uses it). */
export const TSS_BUSY_ATTRIBUTES = 0x08b;
/** A present LDT. */
export const LDT_ATTRIBUTES = 0x082;
/** A real-mode code segment: type 0xb, S, P (16-bit, byte granular). */
export const REAL_CODE_ATTRIBUTES = 0x09b;
/** A real-mode data segment: type 0x3, S, P. */
export const REAL_DATA_ATTRIBUTES = 0x093;

/** Selectors the flat state uses (GDT entries 1 and 2 by convention; the GDT itself is not set up). */
export const FLAT_CODE_SELECTOR = 0x08;
/** Data selector of the flat state (GDT entry 2). */
export const FLAT_DATA_SELECTOR = 0x10;

const TR: SegmentState = { selector: 0, base: 0, limit: 0xffff, attributes: TSS_BUSY_ATTRIBUTES };
const LDTR: SegmentState = { selector: 0, base: 0, limit: 0xffff, attributes: LDT_ATTRIBUTES };

/**
 * 32-bit protected mode with flat 4 GiB code and data segments, paging off, interrupts off
 * (EFLAGS.IF = 0), A20 on: the state the Multiboot specification requires at kernel entry (GDTR
 * and IDTR are "undefined" for the kernel; they are left empty here). `regs` overrides
 * general-purpose registers.
 */
export function flatProtectedModeState(
  eip: number,
  regs: Partial<Pick<InitialCpuState, 'eax' | 'ebx' | 'ecx' | 'edx' | 'esi' | 'edi' | 'ebp' | 'esp'>> = {},
): InitialCpuState {
  const code: SegmentState = {
    selector: FLAT_CODE_SELECTOR,
    base: 0,
    limit: 0xffffffff,
    attributes: FLAT_CODE_ATTRIBUTES,
  };
  const data: SegmentState = {
    selector: FLAT_DATA_SELECTOR,
    base: 0,
    limit: 0xffffffff,
    attributes: FLAT_DATA_ATTRIBUTES,
  };
  return {
    eax: regs.eax ?? 0,
    ebx: regs.ebx ?? 0,
    ecx: regs.ecx ?? 0,
    edx: regs.edx ?? 0,
    esi: regs.esi ?? 0,
    edi: regs.edi ?? 0,
    ebp: regs.ebp ?? 0,
    esp: regs.esp ?? 0,
    eip: eip >>> 0,
    eflags: EFLAGS_RESERVED,
    cr0: CR0_PE | CR0_ET,
    cr3: 0,
    cr4: 0,
    cs: code,
    ds: data,
    es: data,
    fs: data,
    gs: data,
    ss: data,
    tr: TR,
    ldtr: LDTR,
    gdtr: { base: 0, limit: 0 },
    idtr: { base: 0, limit: 0 },
    a20: true,
  };
}

/**
 * Real mode at physical address `entry` (< 1 MiB): CS:IP = (entry >> 4 & 0xf000):(entry & 0xffff),
 * data segments 0, IVT at 0 (IDTR limit 0x3ff), interrupts off, A20 on.
 */
export function realModeState(entry: number, esp = 0): InitialCpuState {
  const cs = (entry >>> 4) & 0xf000;
  const code: SegmentState = { selector: cs, base: cs << 4, limit: 0xffff, attributes: REAL_CODE_ATTRIBUTES };
  const data: SegmentState = { selector: 0, base: 0, limit: 0xffff, attributes: REAL_DATA_ATTRIBUTES };
  return {
    eax: 0,
    ebx: 0,
    ecx: 0,
    edx: 0,
    esi: 0,
    edi: 0,
    ebp: 0,
    esp,
    eip: entry - (cs << 4),
    eflags: EFLAGS_RESERVED,
    cr0: CR0_ET,
    cr3: 0,
    cr4: 0,
    cs: code,
    ds: data,
    es: data,
    fs: data,
    gs: data,
    ss: data,
    tr: TR,
    ldtr: LDTR,
    gdtr: { base: 0, limit: 0xffff },
    idtr: { base: 0, limit: 0x3ff },
    a20: true,
  };
}
