/** A segment register as the UTCB carries it (selector, access rights, limit, base). */
export interface Segment {
  sel: number;
  ar: number;
  limit: number;
  base: number;
}

/** Names of the segment registers in the UTCB, in layout order. */
export const SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr', 'gdtr', 'idtr'] as const;
/** A segment register name. */
export type SegmentName = (typeof SEGMENT_NAMES)[number];

function seg(): Segment {
  return { sel: 0, ar: 0, limit: 0, base: 0 };
}

/**
 * The architectural state of a vCPU, field for field as the UTCB layout of spec/nova.md §5.2
 * names it. The kernel moves it between a vCPU engine and a handler's UTCB, selected by MTD bits.
 */
export class VcpuState {
  instLen = 0;
  rip = 0;
  rflags = 0x2;
  intrState = 0;
  actvState = 0;
  intrInfo = 0;
  intrError = 0;
  rax = 0;
  rcx = 0;
  rdx = 0;
  rbx = 0;
  rsp = 0;
  rbp = 0;
  rsi = 0;
  rdi = 0;
  r8 = 0;
  r9 = 0;
  r10 = 0;
  r11 = 0;
  r12 = 0;
  r13 = 0;
  r14 = 0;
  r15 = 0;
  qual0 = 0;
  qual1 = 0;
  ctrl0 = 0;
  ctrl1 = 0;
  cr0 = 0x10;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  xcr0 = 1;
  xss = 0;
  pdpte0 = 0;
  pdpte1 = 0;
  pdpte2 = 0;
  pdpte3 = 0;
  cr8 = 0;
  efer = 0;
  star = 0;
  lstar = 0;
  cstar = 0;
  sfmask = 0;
  kernelGsBase = 0;
  tpr = 0;
  tprThreshold = 0;
  dr7 = 0x400;
  sysenterCs = 0;
  sysenterRsp = 0;
  sysenterRip = 0;
  es: Segment = seg();
  cs: Segment = seg();
  ss: Segment = seg();
  ds: Segment = seg();
  fs: Segment = seg();
  gs: Segment = seg();
  ldtr: Segment = seg();
  tr: Segment = seg();
  gdtr: Segment = seg();
  idtr: Segment = seg();
  /** TSC value as the guest sees it (read only through the UTCB). */
  tscVal = 0;
  /** TSC offset of the guest relative to the host TSC. */
  tscOff = 0;
  tscAux = 0;
}
