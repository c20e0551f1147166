/**
 * The state of a virtual CPU as exchanged between a kernel and a VMM's exit handler.
 *
 * The fields follow NOVA's architectural UTCB layout (spec/nova.md §5.2), which is the x86
 * state a VMM can see and change; which fields are valid on an exit, and which a reply writes
 * back, is selected by a mask of {@link MTD} bits. genode-base does not import x86-core, so this
 * is a plain record. Register values are unsigned numbers; 32-bit guests are exact, 64-bit values
 * are exact below 2^53 (the MSR-like fields that use all 64 bits — TSC, PDPTEs, the SYSCALL MSRs
 * — are bigints).
 */

/** A segment register as VMX/SVM hold it: selector, access rights, limit, base. */
export interface Segment {
  /** Selector (16 bits). */
  sel: number;
  /**
   * Access rights in NOVA/SVM packed form: bits 3:0 type, 4 S, 6:5 DPL, 7 P, 8 AVL, 9 L,
   * 10 D/B, 11 G, 12 unusable.
   */
  ar: number;
  /** Limit in bytes (32 bits, already scaled by G). */
  limit: number;
  /** Base address. */
  base: number;
}

/** GDTR or IDTR: limit and base. */
export interface DescriptorTableRegister {
  limit: number;
  base: number;
}

/** The x86 state of one vCPU (NOVA UTCB fields, spec/nova.md §5.2). */
export interface VcpuState {
  /** RAX, RCX, RDX, RBX (MTD ACDB). */
  ax: number;
  cx: number;
  dx: number;
  bx: number;
  /** RBP, RSI, RDI (MTD EBSD). */
  bp: number;
  si: number;
  di: number;
  /** RSP (MTD ESP). */
  sp: number;
  /** RIP and the length of the exiting instruction (MTD EIP). */
  ip: number;
  instLen: number;
  /** RFLAGS (MTD EFL). */
  flags: number;
  /** R8–R15 (MTD R8_R15). */
  r8: number;
  r9: number;
  r10: number;
  r11: number;
  r12: number;
  r13: number;
  r14: number;
  r15: number;
  /** Segment registers (MTD ESDS: es/ds, FSGS: fs/gs, CSSS: cs/ss, TR, LDTR). */
  es: Segment;
  cs: Segment;
  ss: Segment;
  ds: Segment;
  fs: Segment;
  gs: Segment;
  tr: Segment;
  ldtr: Segment;
  /** GDTR and IDTR (MTD GDTR, IDTR). */
  gdtr: DescriptorTableRegister;
  idtr: DescriptorTableRegister;
  /** Control registers (MTD CR). */
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  /** XCR0 and IA32_XSS (MTD XSAVE). */
  xcr0: number;
  xss: number;
  /** DR7 (MTD DR). */
  dr7: number;
  /** SYSENTER MSRs (MTD SYS). */
  sysenterCs: number;
  sysenterSp: number;
  sysenterIp: number;
  /**
   * Exit qualifications (MTD QUAL, read-only). SVM: exitinfo1/exitinfo2; for an NPT exit
   * qual0 = NPT error code, qual1 = faulting guest-physical address; for an I/O exit qual0 is
   * the IOIO information word and qual1 the next RIP.
   */
  qual0: number;
  qual1: number;
  /** Execution controls the VMM wants (MTD CTRL, write-only). */
  ctrl0: number;
  ctrl1: number;
  /**
   * Event injection (MTD INJ): bits 7:0 vector, 10:8 type, 11 deliver error code, 12 request
   * interrupt window, 13 request NMI window, 31 valid.
   */
  injInfo: number;
  injError: number;
  /** Interruptibility state and activity state (MTD STA). */
  intrState: number;
  actvState: number;
  /** TSC value at the exit and the TSC offset (MTD TSC; on write the offset is *added*). */
  tsc: bigint;
  tscOffset: bigint;
  /** IA32_TSC_AUX (MTD TSC_AUX). */
  tscAux: number;
  /** EFER (MTD EFER). */
  efer: number;
  /** PAE PDPTEs (MTD PDPTE). */
  pdpte: [bigint, bigint, bigint, bigint];
  /** SYSCALL/SWAPGS MSRs (MTD SYSCALL_SWAPGS). */
  star: bigint;
  lstar: bigint;
  cstar: bigint;
  sfmask: bigint;
  kernelGsBase: bigint;
  /** Task priority and its threshold (MTD TPR). */
  tpr: number;
  tprThreshold: number;
  /** Exit reason (always set on an exit, independent of the mask). */
  exitReason: number;
  /**
   * The x87/FPU state (MTD FPU) as the 512-byte FXSAVE image (Intel SDM vol. 1, Table 10-2):
   * Genode's `Vcpu_state::Fpu::State`, NOVA's UTCB FPU area. The buffer belongs to the record
   * ({@link copyVcpuState} copies bytes into it, never replaces it).
   */
  readonly fpu: Uint8Array;
}

/** Size of the FPU image of {@link VcpuState} (`Genode::Vcpu_state::Fpu::State`: 512 bytes). */
export const VCPU_FPU_BYTES = 512;

/**
 * NOVA's message-transfer-descriptor bits (Genode's `Nova::Mtd`, spec/genode.md §3.6): a mask
 * selecting which parts of {@link VcpuState} an exit delivers and a reply writes back.
 */
export const MTD = {
  ACDB: 0x1,
  EBSD: 0x2,
  ESP: 0x4,
  EIP: 0x8,
  EFL: 0x10,
  ESDS: 0x20,
  FSGS: 0x40,
  CSSS: 0x80,
  TR: 0x100,
  LDTR: 0x200,
  GDTR: 0x400,
  IDTR: 0x800,
  CR: 0x1000,
  DR: 0x2000,
  SYS: 0x4000,
  QUAL: 0x8000,
  CTRL: 0x10000,
  INJ: 0x20000,
  STA: 0x40000,
  TSC: 0x80000,
  EFER: 0x100000,
  PDPTE: 0x200000,
  R8_R15: 0x400000,
  SYSCALL_SWAPGS: 0x800000,
  TPR: 0x1000000,
  TSC_AUX: 0x2000000,
  XSAVE: 0x4000000,
  /** The FPU image (`VcpuState.fpu`); not part of `ALL` (Genode's portals add it explicitly). */
  FPU: 0x80000000,
  /** Genode's `Mtd::IRQ` = EFL | STA | INJ | TSC. */
  IRQ: 0xe0010,
  /** Genode's `Mtd::ALL` = (0xfffff & ~CTRL) | EFER | R8_R15 | SYSCALL_SWAPGS | TPR. */
  ALL: 0x1deffff,
} as const;

/**
 * vCPU exit reasons in SVM numbering as NOVA delivers them (spec/nova.md §5.4): the VMCB exit
 * code for hardware exits, plus NOVA's synthetic events at the top of the 256-entry window.
 */
export const VCPU_EXIT = {
  /** VINTR: interrupt window open. */
  VINTR: 0x64,
  /** CPUID instruction. */
  CPUID: 0x72,
  /** PAUSE instruction. */
  PAUSE: 0x77,
  /** HLT instruction. */
  HLT: 0x78,
  /** IN/OUT/INS/OUTS. */
  IOIO: 0x7b,
  /** RDMSR/WRMSR. */
  MSR: 0x7c,
  /** Shutdown (triple fault). */
  SHUTDOWN: 0x7f,
  /** VMMCALL. */
  VMMCALL: 0x81,
  /** Unsupported SVM exit code ≥ 256 (NOVA/Genode). */
  UNSUPPORTED: 0xfb,
  /** Nested page fault (SVM 0x400, remapped by NOVA). */
  NPT: 0xfc,
  /** Invalid guest state. */
  INVALID: 0xfd,
  /** First dispatch of the vCPU. */
  STARTUP: 0xfe,
  /** Recall (asynchronous stop requested by the VMM). */
  RECALL: 0xff,
} as const;

/** SVM IOIO exit information word (qual0 of an I/O exit), AMD APM vol. 2 §15.10.2. */
export const SVM_IOIO = {
  /** Bit 0: 1 = IN, 0 = OUT. */
  TYPE_IN: 0x1,
  /** Bit 2: string instruction. */
  STRING: 0x4,
  /** Bit 3: REP prefix. */
  REP: 0x8,
  /** Bits 4–6: operand size one-hot (8, 16, 32 bit). */
  SZ8: 0x10,
  SZ16: 0x20,
  SZ32: 0x40,
  /** Bits 31:16: port. */
  PORT_SHIFT: 16,
} as const;

/** Nested-page-fault error code bits (qual0 of an NPT exit), as the x86 #PF error code. */
export const NPT_ERROR = {
  PRESENT: 0x1,
  WRITE: 0x2,
  USER: 0x4,
  FETCH: 0x10,
} as const;

function segment(): Segment {
  return { sel: 0, ar: 0, limit: 0, base: 0 };
}

/** A zeroed vCPU state (all segments null, all registers 0). */
export function createVcpuState(): VcpuState {
  return {
    ax: 0,
    cx: 0,
    dx: 0,
    bx: 0,
    bp: 0,
    si: 0,
    di: 0,
    sp: 0,
    ip: 0,
    instLen: 0,
    flags: 0,
    r8: 0,
    r9: 0,
    r10: 0,
    r11: 0,
    r12: 0,
    r13: 0,
    r14: 0,
    r15: 0,
    es: segment(),
    cs: segment(),
    ss: segment(),
    ds: segment(),
    fs: segment(),
    gs: segment(),
    tr: segment(),
    ldtr: segment(),
    gdtr: { limit: 0, base: 0 },
    idtr: { limit: 0, base: 0 },
    cr0: 0,
    cr2: 0,
    cr3: 0,
    cr4: 0,
    xcr0: 0,
    xss: 0,
    dr7: 0,
    sysenterCs: 0,
    sysenterSp: 0,
    sysenterIp: 0,
    qual0: 0,
    qual1: 0,
    ctrl0: 0,
    ctrl1: 0,
    injInfo: 0,
    injError: 0,
    intrState: 0,
    actvState: 0,
    tsc: 0n,
    tscOffset: 0n,
    tscAux: 0,
    efer: 0,
    pdpte: [0n, 0n, 0n, 0n],
    star: 0n,
    lstar: 0n,
    cstar: 0n,
    sfmask: 0n,
    kernelGsBase: 0n,
    tpr: 0,
    tprThreshold: 0,
    exitReason: 0,
    fpu: new Uint8Array(VCPU_FPU_BYTES),
  };
}

function copySeg(dst: Segment, src: Segment): void {
  dst.sel = src.sel;
  dst.ar = src.ar;
  dst.limit = src.limit;
  dst.base = src.base;
}

/**
 * Copy the parts of `src` selected by `mtd` into `dst` — what a kernel does when it fills a
 * handler's UTCB on an exit, or applies a reply. TSC is copied as-is (a kernel applying a
 * reply adds `tscOffset` itself, as NOVA does). `exitReason` is not copied.
 */
export function copyVcpuState(dst: VcpuState, src: VcpuState, mtd: number): void {
  if (mtd & MTD.ACDB) {
    dst.ax = src.ax;
    dst.cx = src.cx;
    dst.dx = src.dx;
    dst.bx = src.bx;
  }
  if (mtd & MTD.EBSD) {
    dst.bp = src.bp;
    dst.si = src.si;
    dst.di = src.di;
  }
  if (mtd & MTD.ESP) dst.sp = src.sp;
  if (mtd & MTD.EIP) {
    dst.ip = src.ip;
    dst.instLen = src.instLen;
  }
  if (mtd & MTD.EFL) dst.flags = src.flags;
  if (mtd & MTD.ESDS) {
    copySeg(dst.es, src.es);
    copySeg(dst.ds, src.ds);
  }
  if (mtd & MTD.FSGS) {
    copySeg(dst.fs, src.fs);
    copySeg(dst.gs, src.gs);
  }
  if (mtd & MTD.CSSS) {
    copySeg(dst.cs, src.cs);
    copySeg(dst.ss, src.ss);
  }
  if (mtd & MTD.TR) copySeg(dst.tr, src.tr);
  if (mtd & MTD.LDTR) copySeg(dst.ldtr, src.ldtr);
  if (mtd & MTD.GDTR) {
    dst.gdtr.limit = src.gdtr.limit;
    dst.gdtr.base = src.gdtr.base;
  }
  if (mtd & MTD.IDTR) {
    dst.idtr.limit = src.idtr.limit;
    dst.idtr.base = src.idtr.base;
  }
  if (mtd & MTD.CR) {
    dst.cr0 = src.cr0;
    dst.cr2 = src.cr2;
    dst.cr3 = src.cr3;
    dst.cr4 = src.cr4;
  }
  if (mtd & MTD.DR) dst.dr7 = src.dr7;
  if (mtd & MTD.SYS) {
    dst.sysenterCs = src.sysenterCs;
    dst.sysenterSp = src.sysenterSp;
    dst.sysenterIp = src.sysenterIp;
  }
  if (mtd & MTD.QUAL) {
    dst.qual0 = src.qual0;
    dst.qual1 = src.qual1;
  }
  if (mtd & MTD.CTRL) {
    dst.ctrl0 = src.ctrl0;
    dst.ctrl1 = src.ctrl1;
  }
  if (mtd & MTD.INJ) {
    dst.injInfo = src.injInfo;
    dst.injError = src.injError;
  }
  if (mtd & MTD.STA) {
    dst.intrState = src.intrState;
    dst.actvState = src.actvState;
  }
  if (mtd & MTD.TSC) {
    dst.tsc = src.tsc;
    dst.tscOffset = src.tscOffset;
  }
  if (mtd & MTD.TSC_AUX) dst.tscAux = src.tscAux;
  if (mtd & MTD.EFER) dst.efer = src.efer;
  if (mtd & MTD.PDPTE) dst.pdpte = [...src.pdpte];
  if (mtd & MTD.R8_R15) {
    dst.r8 = src.r8;
    dst.r9 = src.r9;
    dst.r10 = src.r10;
    dst.r11 = src.r11;
    dst.r12 = src.r12;
    dst.r13 = src.r13;
    dst.r14 = src.r14;
    dst.r15 = src.r15;
  }
  if (mtd & MTD.SYSCALL_SWAPGS) {
    dst.star = src.star;
    dst.lstar = src.lstar;
    dst.cstar = src.cstar;
    dst.sfmask = src.sfmask;
    dst.kernelGsBase = src.kernelGsBase;
  }
  if (mtd & MTD.TPR) {
    dst.tpr = src.tpr;
    dst.tprThreshold = src.tprThreshold;
  }
  if (mtd & MTD.XSAVE) {
    dst.xcr0 = src.xcr0;
    dst.xss = src.xss;
  }
  if (mtd & MTD.FPU) dst.fpu.set(src.fpu);
}
