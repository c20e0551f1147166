/**
 * The user-visible register file of a normal EC (x86-64), plus the kernel-side exception state
 * (vector, error code, CR2) that event messages carry.
 *
 * Host code in this model is a generator, so most registers are bookkeeping: hypercall arguments
 * and results travel in RDI/RSI/RDX/RAX/R8 exactly as the ABI of spec/nova.md §2.3 says, RIP names
 * the entry point whose code runs, and exception handlers can read and write all of them through
 * the UTCB.
 */
export class Regs {
  rax = 0;
  rbx = 0;
  rcx = 0;
  rdx = 0;
  rsi = 0;
  rdi = 0;
  rbp = 0;
  rsp = 0;
  r8 = 0;
  r9 = 0;
  r10 = 0;
  r11 = 0;
  r12 = 0;
  r13 = 0;
  r14 = 0;
  r15 = 0;
  rip = 0;
  rflags = 0x202;
  /** Error code of the last exception (qual[0] of an exception message). */
  err = 0;
  /** Fault address of the last page fault (qual[1] of an exception message). */
  cr2 = 0;
  /** Guest-physical address of a vCPU's last nested page fault. */
  nstFault = 0;
  /** Event number being delivered (offset from evt). */
  dstPortal = 0;
  /** MTD of the portal that is delivering the current event. */
  mtd = 0;
}
