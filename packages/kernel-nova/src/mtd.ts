/**
 * Message Transfer Descriptor bits (spec/nova.md §5.2): which architectural state an event
 * message carries into the handler's UTCB, and which state a reply writes back.
 */
export const Mtd = {
  /** rax rcx rdx rbx */
  ACDB: 0x1,
  /** rbp rsi rdi */
  EBSD: 0x2,
  /** rsp */
  ESP: 0x4,
  /** rip (and instruction length for vCPUs) */
  EIP: 0x8,
  /** rflags */
  EFL: 0x10,
  ESDS: 0x20,
  FSGS: 0x40,
  CSSS: 0x80,
  TR: 0x100,
  LDTR: 0x200,
  GDTR: 0x400,
  IDTR: 0x800,
  /** cr0 cr2 cr3 cr4 */
  CR: 0x1000,
  /** dr7 */
  DR: 0x2000,
  /** sysenter cs/rsp/rip */
  SYS: 0x4000,
  /** qual[0], qual[1] */
  QUAL: 0x8000,
  /** ctrl[0], ctrl[1] (write only) */
  CTRL: 0x10000,
  /** intr_info, intr_error */
  INJ: 0x20000,
  /** interruptibility and activity state */
  STA: 0x40000,
  /** tsc_val / tsc_off */
  TSC: 0x80000,
  EFER: 0x100000,
  PDPTE: 0x200000,
  /** r8..r15 */
  R8_R15: 0x400000,
  /** star lstar cstar sfmask kernel_gs_base */
  SYSCALL_SWAPGS: 0x800000,
  TPR: 0x1000000,
  TSC_AUX: 0x2000000,
  XSAVE: 0x4000000,
  FPU: 0x80000000,
} as const;

/** Genode's `Mtd::ALL`: everything but CTRL, plus EFER, R8_R15, SYSCALL_SWAPGS and TPR. */
export const MTD_ALL: number =
  (0x000fffff & ~Mtd.CTRL) | Mtd.EFER | Mtd.R8_R15 | Mtd.SYSCALL_SWAPGS | Mtd.TPR;

/** Genode's `Mtd::IRQ`: EFL | STA | INJ | TSC. */
export const MTD_IRQ: number = Mtd.EFL | Mtd.STA | Mtd.INJ | Mtd.TSC;

/** The MTD bits an exception message of a normal EC can carry (the rest is vCPU state). */
export const MTD_EXC_MASK: number =
  Mtd.ACDB | Mtd.EBSD | Mtd.ESP | Mtd.EIP | Mtd.EFL | Mtd.QUAL | Mtd.R8_R15 | Mtd.FPU;

/** True if all bits of `bits` are set in the 32-bit MTD word `mtd`. */
export function mtdHas(mtd: number, bits: number): boolean {
  return (mtd & bits) >>> 0 === bits >>> 0;
}
