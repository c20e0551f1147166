import { Mtd } from './mtd.js';

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
  /**
   * The x87 state as the 512-byte FXSAVE image (MTD FPU; SDM vol. 1, Table 10-2; the layout
   * x86-core's `writeFxsaveImage` produces). The UTCB carries it at page offset 0x258 (`UTCB_FPU`).
   */
  readonly fpu: Uint8Array = new Uint8Array(FPU_IMAGE_BYTES);
}

/**
 * Bytes of the FPU image a vCPU message carries (MTD FPU): the FXSAVE legacy region. NOVA's
 * UTCB reserves an XSAVE-sized area (Genode base-nova `Utcb::fpu[2560]`); a processor without
 * XSAVE (x86-core: x87 only) uses its first 512 bytes, the rest is left untouched.
 */
export const FPU_IMAGE_BYTES = 512;

const GROUPS: readonly (readonly [number, readonly (keyof VcpuState)[]])[] = [
  [0x1, ['rax', 'rcx', 'rdx', 'rbx']],
  [0x2, ['rbp', 'rsi', 'rdi']],
  [0x4, ['rsp']],
  [0x8, ['rip', 'instLen']],
  [0x10, ['rflags']],
  [0x20, ['ds', 'es']],
  [0x40, ['fs', 'gs']],
  [0x80, ['cs', 'ss']],
  [0x100, ['tr']],
  [0x200, ['ldtr']],
  [0x400, ['gdtr']],
  [0x800, ['idtr']],
  [0x1000, ['cr0', 'cr2', 'cr3', 'cr4']],
  [0x2000, ['dr7']],
  [0x4000, ['sysenterCs', 'sysenterRsp', 'sysenterRip']],
  [0x8000, ['qual0', 'qual1']],
  [0x10000, ['ctrl0', 'ctrl1']],
  [0x20000, ['intrInfo', 'intrError']],
  [0x40000, ['intrState', 'actvState']],
  [0x80000, ['tscVal', 'tscOff']],
  [0x100000, ['efer']],
  [0x200000, ['pdpte0', 'pdpte1', 'pdpte2', 'pdpte3']],
  [0x400000, ['r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15']],
  [0x800000, ['star', 'lstar', 'cstar', 'sfmask', 'kernelGsBase']],
  [0x1000000, ['tpr', 'tprThreshold']],
  [0x2000000, ['tscAux']],
  [0x4000000, ['xcr0', 'xss']],
];

/**
 * Copy the state groups selected by MTD bits `mtd` from `src` to `dst` (segments are copied by
 * value, the FPU image byte for byte). For vCPU engines implementing `load` and `store`.
 */
export function copyVcpuState(dst: VcpuState, src: VcpuState, mtd: number): void {
  const d = dst as unknown as Record<string, unknown>;
  const s = src as unknown as Record<string, unknown>;
  for (const [bit, fields] of GROUPS) {
    if ((mtd & bit) === 0) continue;
    for (const f of fields) {
      const v = s[f];
      d[f] = typeof v === 'object' && v !== null ? { ...(v as Segment) } : v;
    }
  }
  if (mtd & Mtd.FPU) dst.fpu.set(src.fpu);
}
