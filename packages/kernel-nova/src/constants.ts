/**
 * Architectural constants of the modelled kernel: the x86-64 G-kernel (alex-ab/NOVA r10),
 * spec/nova.md §1–§7.
 */

/** Size of a page (4 KiB). */
export const PAGE_SIZE = 4096;
/** log2 of {@link PAGE_SIZE}. */
export const PAGE_BITS = 12;
/** End of the user-accessible range on x86-64 in the G-kernel (spec says 0x7ffffffff000). */
export const USER_ADDR = 0x7fffc0000000;
/** First page number outside the user range. */
export const USER_PAGES: number = USER_ADDR / PAGE_SIZE;
/** log2 of the object-space size (HIP field SEL): 2^26 selectors on x86-64. */
export const SEL_BITS = 26;
/** Number of object-space selectors; selectors are taken modulo this value. */
export const NUM_SEL: number = 2 ** SEL_BITS;
/** Event selectors of a normal EC (HIP field EXC). */
export const NUM_EXC = 32;
/** Event selectors of a vCPU (HIP field VMI). */
export const NUM_VMI = 256;
/** Maximum CPUs of the kernel build (G: 64): GSI semaphores live at kernel selector NUM_CPU + gsi. */
export const NUM_CPU = 64;
/** Global system interrupts of the G-kernel. */
export const NUM_GSI = 192;
/** Words in the UTCB data area on x86-64 (4096 - 32 bytes of header). */
export const UTCB_WORDS = 508;
/** Maximum typed items that fit in a UTCB. */
export const UTCB_MAX_ITEMS = 254;
/** Number of scheduling priorities; 0 is the idle priority. */
export const NUM_PRIO = 128;
/** Number of I/O ports. */
export const NUM_PORTS = 65536;

/** Root PD's selectors (spec/nova.md §7): EXC + 0/1/2, and the G-kernel's two authority SMs. */
export const RootSel = {
  PD: 32,
  EC: 33,
  SC: 34,
  /** G-kernel: ACPI-suspend authority SM. */
  SM_ACPI_SUSPEND: 35,
  /** G-kernel: MSR-access authority SM. */
  SM_MSR: 36,
} as const;

/** Kernel object types; the value is also the PD permission bit needed to create one. */
export const ObjType = { PD: 0, EC: 1, SC: 2, PT: 3, SM: 4 } as const;
/** A kernel object type. */
export type ObjTypeCode = (typeof ObjType)[keyof typeof ObjType];

/** PD capability permissions: one bit per object type it may create. */
export const PdPerm = { PD: 0x01, EC: 0x02, SC: 0x04, PT: 0x08, SM: 0x10, ALL: 0x1f } as const;
/** EC capability permissions (classic numbering: ct bit0, sc bit2, pt bit3). */
export const EcPerm = { CTRL: 0x01, SC: 0x04, PT: 0x08, DEFAULT: 0x0d } as const;
/** SC capability permissions. */
export const ScPerm = { CTRL: 0x01, DEFAULT: 0x01 } as const;
/** PT capability permissions; the G-kernel adds XCPU (cross-CPU call allowed). */
export const PtPerm = { CTRL: 0x01, CALL: 0x02, XCPU: 0x10, DEFAULT: 0x13 } as const;
/** SM capability permissions. */
export const SmPerm = { UP: 0x01, DOWN: 0x02, DEFAULT: 0x03 } as const;
/** Port-I/O capability permission. */
export const IoPerm = { A: 0x01 } as const;

/** Event numbers of a normal EC (selector = evt + n), spec/nova.md §5.3. */
export const Event = {
  DE: 0x00,
  DB: 0x01,
  BP: 0x03,
  OF: 0x04,
  BR: 0x05,
  UD: 0x06,
  NM: 0x07,
  DF: 0x08,
  TS: 0x0a,
  NP: 0x0b,
  SS: 0x0c,
  GP: 0x0d,
  PF: 0x0e,
  MF: 0x10,
  AC: 0x11,
  MC: 0x12,
  XM: 0x13,
  STARTUP: 0x1e,
  RECALL: 0x1f,
} as const;

/** Page-fault error-code bits (x86 #PF error code, delivered in qual[0]). */
export const PfErr = { P: 0x01, W: 0x02, U: 0x04, RSVD: 0x08, I: 0x10 } as const;

/** HIP feature flags. */
export const HipFeature = { IOMMU: 0x1, VMX: 0x2, SVM: 0x4 } as const;

/** RFLAGS bits the kernel touches when an exception reply writes RFLAGS. */
export const Rflags = {
  IF: 0x200,
  IOPL: 0x3000,
  RF: 0x10000,
  VM: 0x20000,
  VIF: 0x80000,
  VIP: 0x100000,
  /** Reset value with IF set, as the root EC starts (0x202). */
  INITIAL: 0x202,
} as const;
