/** Hypercall numbers of the classic/G-kernel interface (spec/nova.md §2.1). */
export const Hypercall = {
  CALL: 0x0,
  REPLY: 0x1,
  CREATE_PD: 0x2,
  CREATE_EC: 0x3,
  CREATE_SC: 0x4,
  CREATE_PT: 0x5,
  CREATE_SM: 0x6,
  REVOKE: 0x7,
  /** `lookup` in the 2014 spec; `misc` (op 0 lookup, op 1 delegate, op 2 acpi_suspend) in the G-kernel. */
  MISC: 0x8,
  EC_CTRL: 0x9,
  SC_CTRL: 0xa,
  PT_CTRL: 0xb,
  SM_CTRL: 0xc,
  ASSIGN_PCI: 0xd,
  ASSIGN_GSI: 0xe,
  /** G-kernel only: kernel-memory quota transfer and query. */
  PD_CTRL: 0xf,
} as const;

/** A hypercall number. */
export type HypercallNumber = (typeof Hypercall)[keyof typeof Hypercall];
