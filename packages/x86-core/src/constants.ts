/**
 * Architectural constants of the i686 (Intel SDM vol. 3A, AMD APM vol. 2): register numbers in
 * ModRM encoding order, EFLAGS/CR bits, exception vectors. Plain numbers (not enums) so that the
 * hot interpreter code compiles them to immediates.
 */

/** General-purpose registers in ModRM `reg` encoding order (SDM vol. 2, table 2-2). */
export const Reg = {
  EAX: 0,
  ECX: 1,
  EDX: 2,
  EBX: 3,
  ESP: 4,
  EBP: 5,
  ESI: 6,
  EDI: 7,
} as const;

/** Segment registers in `sreg` encoding order (SDM vol. 2, table 3-6). */
export const Seg = {
  ES: 0,
  CS: 1,
  SS: 2,
  DS: 3,
  FS: 4,
  GS: 5,
} as const;

/** EFLAGS bits (SDM vol. 1, §3.4.3). */
export const Flag = {
  CF: 0x1,
  /** Bit 1 always reads as 1. */
  FIXED: 0x2,
  PF: 0x4,
  AF: 0x10,
  ZF: 0x40,
  SF: 0x80,
  TF: 0x100,
  IF: 0x200,
  DF: 0x400,
  OF: 0x800,
  IOPL: 0x3000,
  NT: 0x4000,
  RF: 0x10000,
  VM: 0x20000,
  AC: 0x40000,
  VIF: 0x80000,
  VIP: 0x100000,
  ID: 0x200000,
} as const;

/** CR0 bits (SDM vol. 3A, §2.5). */
export const Cr0 = {
  PE: 0x1,
  MP: 0x2,
  EM: 0x4,
  TS: 0x8,
  ET: 0x10,
  NE: 0x20,
  WP: 0x10000,
  AM: 0x40000,
  NW: 0x20000000,
  CD: 0x40000000,
  PG: -0x80000000,
} as const;

/** CR4 bits this core knows (SDM vol. 3A, §2.5). */
export const Cr4 = {
  VME: 0x1,
  PVI: 0x2,
  TSD: 0x4,
  DE: 0x8,
  PSE: 0x10,
  PAE: 0x20,
  MCE: 0x40,
  PGE: 0x80,
  PCE: 0x100,
  OSFXSR: 0x200,
  OSXMMEXCPT: 0x400,
} as const;

/** Exception vectors (SDM vol. 3A, table 6-1). */
export const Vector = {
  DE: 0,
  DB: 1,
  NMI: 2,
  BP: 3,
  OF: 4,
  BR: 5,
  UD: 6,
  NM: 7,
  DF: 8,
  TS: 10,
  NP: 11,
  SS: 12,
  GP: 13,
  PF: 14,
  MF: 16,
  AC: 17,
  MC: 18,
  XM: 19,
} as const;

/** Page-fault error code bits (SDM vol. 3A, §4.7). */
export const PfErr = {
  P: 0x1,
  W: 0x2,
  U: 0x4,
  RSVD: 0x8,
  I: 0x10,
} as const;
