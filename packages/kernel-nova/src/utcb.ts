import { PAGE_SIZE, UTCB_MAX_ITEMS, UTCB_WORDS } from './constants.js';
import { type Crd, decodeCrd, encodeCrd } from './crd.js';
import { Mtd } from './mtd.js';
import type { Regs } from './regs.js';
import { decodeItem, type ItemOptions, itemFlags, type TypedItem } from './typed-item.js';
import {
  FPU_IMAGE_BYTES,
  SEGMENT_NAMES,
  type Segment,
  type SegmentName,
  type VcpuState,
} from './vcpu-state.js';
import { readWord, writeWord } from './word.js';

/** Byte offset of the UTCB data area (after the 4-word header). */
export const UTCB_DATA = 0x20;

/**
 * Byte offsets (from the start of the UTCB page) and sizes of the architectural fields of the
 * x86-64 G-kernel layout, spec/nova.md §5.2. The data area is a union: `mr[0]` is `mtd`.
 */
export const UtcbField = {
  mtd: [0x20, 8],
  instLen: [0x28, 8],
  rip: [0x30, 8],
  rflags: [0x38, 8],
  intrState: [0x40, 4],
  actvState: [0x44, 4],
  intrInfo: [0x48, 4],
  intrError: [0x4c, 4],
  rax: [0x50, 8],
  rcx: [0x58, 8],
  rdx: [0x60, 8],
  rbx: [0x68, 8],
  rsp: [0x70, 8],
  rbp: [0x78, 8],
  rsi: [0x80, 8],
  rdi: [0x88, 8],
  r8: [0x90, 8],
  r9: [0x98, 8],
  r10: [0xa0, 8],
  r11: [0xa8, 8],
  r12: [0xb0, 8],
  r13: [0xb8, 8],
  r14: [0xc0, 8],
  r15: [0xc8, 8],
  qual0: [0xd0, 8],
  qual1: [0xd8, 8],
  ctrl0: [0xe0, 4],
  ctrl1: [0xe4, 4],
  cr0: [0xe8, 8],
  cr2: [0xf0, 8],
  cr3: [0xf8, 8],
  cr4: [0x100, 8],
  xcr0: [0x108, 8],
  xss: [0x110, 8],
  pdpte0: [0x118, 8],
  pdpte1: [0x120, 8],
  pdpte2: [0x128, 8],
  pdpte3: [0x130, 8],
  cr8: [0x138, 8],
  efer: [0x140, 8],
  star: [0x148, 8],
  lstar: [0x150, 8],
  cstar: [0x158, 8],
  sfmask: [0x160, 8],
  kernelGsBase: [0x168, 8],
  tpr: [0x170, 4],
  tprThreshold: [0x174, 4],
  dr7: [0x178, 8],
  sysenterCs: [0x180, 8],
  sysenterRsp: [0x188, 8],
  sysenterRip: [0x190, 8],
  tscVal: [0x238, 8],
  tscOff: [0x240, 8],
  tscAux: [0x248, 8],
  exitReason: [0x250, 8],
} as const;

/**
 * Byte offset of each architectural field as a plain number (`UtcbField` without the sizes), for
 * hot paths: `u.word(UtcbOffset.rax)`, `u.dword(UtcbOffset.intrState)`.
 */
export const UtcbOffset: { readonly [K in keyof typeof UtcbField]: number } = Object.fromEntries(
  Object.entries(UtcbField).map(([k, v]) => [k, v[0]]),
) as { readonly [K in keyof typeof UtcbField]: number };
const F = UtcbOffset;

/** Name of an architectural UTCB field. */
export type UtcbFieldName = keyof typeof UtcbField;

/** Byte offset of segment register `name` (16 bytes: sel u16, ar u16, limit u32, base u64). */
export function segmentOffset(name: SegmentName): number {
  return SEGMENT_OFFSET[name];
}

const SEGMENT_OFFSET = Object.fromEntries(SEGMENT_NAMES.map((n, i) => [n, 0x20 + 0x178 + i * 16])) as Record<
  SegmentName,
  number
>;

/**
 * Byte offset of the FPU area in the UTCB page (MTD FPU). spec/nova.md §5.2 gives it as data-area
 * offset 0x238 ("fpu area 0x238..", right after `exit_reason` at 0x230); the data area starts
 * at page offset 0x20, so both name the same byte. Genode's base-nova `Nova::Utcb` (2024,
 * `syscall-generic.h`: packed struct, `exit_reason` then `uint8_t fpu[2560]`) agrees. The model
 * moves the 512-byte FXSAVE image there ({@link FPU_IMAGE_BYTES}).
 */
export const UTCB_FPU = 0x258;

const RFL_MASKED = 0x3000 | 0x10000 | 0x20000 | 0x80000 | 0x100000;

/**
 * A view of one UTCB page (4 KiB, x86-64 layout of spec/nova.md §4.1 and §5.2) in physical
 * memory. Words are little-endian 64-bit values read as numbers (exact below 2^53).
 *
 * Use it from host code (`sys.utcb`) to build and read IPC messages: untyped words `mr(i)`,
 * typed items from the end of the page, the receive windows, and for event handlers the
 * architectural fields by name.
 */
export class Utcb {
  readonly view: DataView;
  readonly base: number;

  constructor(view: DataView, base: number) {
    this.view = view;
    this.base = base;
  }

  /** Raw 64-bit word at byte offset `off` of the page. */
  word(off: number): number {
    return readWord(this.view, this.base + off);
  }

  /** Write the raw 64-bit word at byte offset `off` of the page. */
  setWord(off: number, v: number): void {
    writeWord(this.view, this.base + off, v);
  }

  /** Raw 32-bit word at byte offset `off` of the page. */
  dword(off: number): number {
    return this.view.getUint32(this.base + off, true);
  }

  /** Write the raw 32-bit word at byte offset `off` of the page (the low 32 bits of `v`). */
  setDword(off: number, v: number): void {
    this.view.setUint32(this.base + off, v >>> 0, true);
  }

  /** The header's items word: U in bits 15:0, T in bits 31:16. */
  get items(): number {
    return this.word(0);
  }
  set items(v: number) {
    this.setWord(0, v);
  }

  /** Number of untyped words (U), as the kernel reads it (capped at 508). */
  get u(): number {
    const u = this.view.getUint16(this.base, true);
    return Math.min(u, UTCB_WORDS);
  }
  set u(v: number) {
    this.view.setUint16(this.base, v, true);
  }

  /** Number of typed items (T), as the kernel reads it (capped at 254). */
  get t(): number {
    const t = this.view.getUint16(this.base + 2, true);
    return Math.min(t, UTCB_MAX_ITEMS);
  }
  set t(v: number) {
    this.view.setUint16(this.base + 2, v, true);
  }

  /** Set U and T at once (clears the higher bits of the items word). */
  setMsg(u: number, t = 0): void {
    this.setWord(0, (u & 0xffff) + (t & 0xffff) * 0x10000);
  }

  /** Translation receive window (CRD_xlt). */
  get xlt(): Crd {
    return decodeCrd(this.word(0x08));
  }
  set xlt(c: Crd) {
    this.setWord(0x08, encodeCrd(c));
  }

  /** Delegation receive window (CRD_del; Genode: `crd_rcv`). */
  get del(): Crd {
    return decodeCrd(this.word(0x10));
  }
  set del(c: Crd) {
    this.setWord(0x10, encodeCrd(c));
  }

  /** The TLS word (never touched by the kernel; ec_ctrl op 2 compares it). */
  get tls(): number {
    return this.word(0x18);
  }
  set tls(v: number) {
    this.setWord(0x18, v);
  }

  /** Untyped message word `i` (0..507). */
  mr(i: number): number {
    return this.word(UTCB_DATA + i * 8);
  }

  /** Set untyped message word `i`. */
  setMr(i: number, v: number): void {
    this.setWord(UTCB_DATA + i * 8, v);
  }

  /** Put `words` into mr[0..] and set U to their count and T to `t`. */
  setWords(words: readonly number[], t = 0): void {
    for (let i = 0; i < words.length; i++) this.setMr(i, words[i] ?? 0);
    this.setMsg(words.length, t);
  }

  /** The first `n` untyped words (default U). */
  words(n: number = this.u): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.mr(i));
    return out;
  }

  /** Byte offset of typed item `i`: items grow down from the end of the page. */
  static itemOffset(i: number): number {
    return PAGE_SIZE - 16 * (i + 1);
  }

  /** Typed item `i` (CRD word and flag word). */
  item(i: number): TypedItem {
    const off = Utcb.itemOffset(i);
    return decodeItem(this.word(off), this.word(off + 8));
  }

  /** Raw words of typed item `i`: `[crd, flags]`. */
  itemWords(i: number): [number, number] {
    const off = Utcb.itemOffset(i);
    return [this.word(off), this.word(off + 8)];
  }

  /** Write typed item `i` from its raw words. */
  setItemWords(i: number, crdWord: number, flags: number): void {
    const off = Utcb.itemOffset(i);
    this.setWord(off, crdWord);
    this.setWord(off + 8, flags);
  }

  /** Write typed item `i`. */
  setItem(i: number, crd: Crd, o: ItemOptions = {}): void {
    this.setItemWords(i, encodeCrd(crd), itemFlags(o));
  }

  /** Append a typed item after the current T items and increment T. */
  appendItem(crd: Crd, o: ItemOptions = {}): void {
    const t = this.t;
    this.setItem(t, crd, o);
    this.t = t + 1;
  }

  /** Read an architectural field by name. */
  get(name: UtcbFieldName): number {
    const [off, size] = UtcbField[name];
    return size === 8 ? this.word(off) : this.view.getUint32(this.base + off, true);
  }

  /** Write an architectural field by name (4-byte fields keep the low 32 bits). */
  set(name: UtcbFieldName, v: number): void {
    const [off, size] = UtcbField[name];
    if (size === 8) this.setWord(off, v);
    else this.view.setUint32(this.base + off, v >>> 0, true);
  }

  /**
   * Read a 64-bit field as a signed two's-complement number (exact within ±2^53): how the
   * kernel reads `tsc_off`, which a VMM sets to a negative value to move the guest's TSC back.
   */
  signed(name: UtcbFieldName): number {
    return Number(BigInt.asIntN(64, this.view.getBigUint64(this.base + UtcbField[name][0], true)));
  }

  /** Write a 64-bit field from a signed number (negative values in two's complement). */
  setSigned(name: UtcbFieldName, v: number): void {
    const b = Number.isSafeInteger(v) ? BigInt(v) : 0n;
    this.view.setBigUint64(this.base + UtcbField[name][0], BigInt.asUintN(64, b), true);
  }

  /** The MTD word of an event message / reply (same word as mr[0]). */
  get mtd(): number {
    return this.view.getUint32(this.base + UTCB_DATA, true);
  }
  set mtd(v: number) {
    this.setWord(UTCB_DATA, v >>> 0);
  }

  /** Instruction pointer field. */
  get rip(): number {
    return this.get('rip');
  }
  set rip(v: number) {
    this.set('rip', v);
  }

  /** Stack pointer field. */
  get rsp(): number {
    return this.get('rsp');
  }
  set rsp(v: number) {
    this.set('rsp', v);
  }

  /** Exit qualification 0 (error code for exceptions). */
  get qual0(): number {
    return this.get('qual0');
  }

  /** Exit qualification 1 (fault address / guest-physical address). */
  get qual1(): number {
    return this.get('qual1');
  }

  /** vCPU exit reason (event number) of a VM-exit message. */
  get exitReason(): number {
    return this.get('exitReason');
  }

  /** Read segment register `name`. */
  segment(name: SegmentName): Segment {
    const o = this.base + segmentOffset(name);
    return {
      sel: this.view.getUint16(o, true),
      ar: this.view.getUint16(o + 2, true),
      limit: this.view.getUint32(o + 4, true),
      base: readWord(this.view, o + 8),
    };
  }

  /** Write segment register `name`. */
  setSegment(name: SegmentName, s: Segment): void {
    const o = this.base + segmentOffset(name);
    this.view.setUint16(o, s.sel & 0xffff, true);
    this.view.setUint16(o + 2, s.ar & 0xffff, true);
    this.view.setUint32(o + 4, s.limit >>> 0, true);
    writeWord(this.view, o + 8, s.base);
  }

  /** Zero the whole page. */
  clear(): void {
    new Uint8Array(this.view.buffer, this.view.byteOffset + this.base, PAGE_SIZE).fill(0);
  }

  /**
   * Kernel side of an exception message (G-kernel `load_exc`): write the registers selected by
   * `mtd` into the UTCB, set `mtd` and U = whole data area, T = 0.
   */
  loadExc(r: Regs, mtd: number): void {
    if (mtd & Mtd.ACDB) {
      this.setWord(F.rax, r.rax);
      this.setWord(F.rcx, r.rcx);
      this.setWord(F.rdx, r.rdx);
      this.setWord(F.rbx, r.rbx);
    }
    if (mtd & Mtd.EBSD) {
      this.setWord(F.rbp, r.rbp);
      this.setWord(F.rsi, r.rsi);
      this.setWord(F.rdi, r.rdi);
    }
    if (mtd & Mtd.R8_R15) {
      this.setWord(F.r8, r.r8);
      this.setWord(F.r9, r.r9);
      this.setWord(F.r10, r.r10);
      this.setWord(F.r11, r.r11);
      this.setWord(F.r12, r.r12);
      this.setWord(F.r13, r.r13);
      this.setWord(F.r14, r.r14);
      this.setWord(F.r15, r.r15);
    }
    if (mtd & Mtd.ESP) this.setWord(F.rsp, r.rsp);
    if (mtd & Mtd.EIP) this.setWord(F.rip, r.rip);
    if (mtd & Mtd.EFL) this.setWord(F.rflags, r.rflags);
    if (mtd & Mtd.QUAL) {
      this.setWord(F.qual0, r.err);
      this.setWord(F.qual1, r.cr2);
    }
    this.mtd = mtd;
    this.setMsg(UTCB_WORDS, 0);
  }

  /**
   * Kernel side of an exception reply (G-kernel `save_exc`): write back the registers selected
   * by this UTCB's `mtd` word. RFLAGS: IF forced on, VM/IOPL/RF/VIF/VIP masked.
   */
  saveExc(r: Regs): void {
    const mtd = this.mtd;
    if (mtd & Mtd.ACDB) {
      r.rax = this.word(F.rax);
      r.rcx = this.word(F.rcx);
      r.rdx = this.word(F.rdx);
      r.rbx = this.word(F.rbx);
    }
    if (mtd & Mtd.EBSD) {
      r.rbp = this.word(F.rbp);
      r.rsi = this.word(F.rsi);
      r.rdi = this.word(F.rdi);
    }
    if (mtd & Mtd.R8_R15) {
      r.r8 = this.word(F.r8);
      r.r9 = this.word(F.r9);
      r.r10 = this.word(F.r10);
      r.r11 = this.word(F.r11);
      r.r12 = this.word(F.r12);
      r.r13 = this.word(F.r13);
      r.r14 = this.word(F.r14);
      r.r15 = this.word(F.r15);
    }
    if (mtd & Mtd.ESP) r.rsp = this.word(F.rsp);
    if (mtd & Mtd.EIP) r.rip = this.word(F.rip);
    if (mtd & Mtd.EFL) {
      const f = this.word(F.rflags);
      const low = f % 0x200000;
      r.rflags = f - low + ((low & ~RFL_MASKED) | 0x200);
    }
  }

  /**
   * Kernel side of a VM-exit message: write the vCPU state selected by `mtd` (FPU: the
   * 512-byte FXSAVE image at {@link UTCB_FPU}), the exit reason (always), `mtd`, and U = whole
   * data area, T = 0.
   */
  loadVcpu(s: VcpuState, mtd: number, exitReason: number): void {
    if (mtd & Mtd.ACDB) {
      this.setWord(F.rax, s.rax);
      this.setWord(F.rcx, s.rcx);
      this.setWord(F.rdx, s.rdx);
      this.setWord(F.rbx, s.rbx);
    }
    if (mtd & Mtd.EBSD) {
      this.setWord(F.rbp, s.rbp);
      this.setWord(F.rsi, s.rsi);
      this.setWord(F.rdi, s.rdi);
    }
    if (mtd & Mtd.R8_R15) {
      this.setWord(F.r8, s.r8);
      this.setWord(F.r9, s.r9);
      this.setWord(F.r10, s.r10);
      this.setWord(F.r11, s.r11);
      this.setWord(F.r12, s.r12);
      this.setWord(F.r13, s.r13);
      this.setWord(F.r14, s.r14);
      this.setWord(F.r15, s.r15);
    }
    if (mtd & Mtd.ESP) this.setWord(F.rsp, s.rsp);
    if (mtd & Mtd.EIP) {
      this.setWord(F.rip, s.rip);
      this.setWord(F.instLen, s.instLen);
    }
    if (mtd & Mtd.EFL) this.setWord(F.rflags, s.rflags);
    if (mtd & Mtd.ESDS) {
      this.setSegment('ds', s.ds);
      this.setSegment('es', s.es);
    }
    if (mtd & Mtd.FSGS) {
      this.setSegment('fs', s.fs);
      this.setSegment('gs', s.gs);
    }
    if (mtd & Mtd.CSSS) {
      this.setSegment('cs', s.cs);
      this.setSegment('ss', s.ss);
    }
    if (mtd & Mtd.TR) this.setSegment('tr', s.tr);
    if (mtd & Mtd.LDTR) this.setSegment('ldtr', s.ldtr);
    if (mtd & Mtd.GDTR) this.setSegment('gdtr', s.gdtr);
    if (mtd & Mtd.IDTR) this.setSegment('idtr', s.idtr);
    if (mtd & Mtd.CR) {
      this.setWord(F.cr0, s.cr0);
      this.setWord(F.cr2, s.cr2);
      this.setWord(F.cr3, s.cr3);
      this.setWord(F.cr4, s.cr4);
    }
    if (mtd & Mtd.DR) this.setWord(F.dr7, s.dr7);
    if (mtd & Mtd.SYS) {
      this.setWord(F.sysenterCs, s.sysenterCs);
      this.setWord(F.sysenterRsp, s.sysenterRsp);
      this.setWord(F.sysenterRip, s.sysenterRip);
    }
    if (mtd & Mtd.QUAL) {
      this.setWord(F.qual0, s.qual0);
      this.setWord(F.qual1, s.qual1);
    }
    if (mtd & Mtd.INJ) {
      this.setDword(F.intrInfo, s.intrInfo);
      this.setDword(F.intrError, s.intrError);
    }
    if (mtd & Mtd.STA) {
      this.setDword(F.intrState, s.intrState);
      this.setDword(F.actvState, s.actvState);
    }
    if (mtd & Mtd.TSC) {
      this.setWord(F.tscVal, s.tscVal);
      this.setSigned('tscOff', s.tscOff);
    }
    if (mtd & Mtd.EFER) this.setWord(F.efer, s.efer);
    if (mtd & Mtd.PDPTE) {
      this.setWord(F.pdpte0, s.pdpte0);
      this.setWord(F.pdpte1, s.pdpte1);
      this.setWord(F.pdpte2, s.pdpte2);
      this.setWord(F.pdpte3, s.pdpte3);
    }
    if (mtd & Mtd.SYSCALL_SWAPGS) {
      this.setWord(F.star, s.star);
      this.setWord(F.lstar, s.lstar);
      this.setWord(F.cstar, s.cstar);
      this.setWord(F.sfmask, s.sfmask);
      this.setWord(F.kernelGsBase, s.kernelGsBase);
    }
    if (mtd & Mtd.TPR) {
      this.setDword(F.tpr, s.tpr);
      this.setDword(F.tprThreshold, s.tprThreshold);
    }
    if (mtd & Mtd.TSC_AUX) this.setWord(F.tscAux, s.tscAux);
    if (mtd & Mtd.XSAVE) {
      this.setWord(F.xcr0, s.xcr0);
      this.setWord(F.xss, s.xss);
    }
    if (mtd & Mtd.FPU) this.fpuImage().set(s.fpu);
    this.setWord(F.exitReason, exitReason);
    this.mtd = mtd;
    this.setMsg(UTCB_WORDS, 0);
  }

  /**
   * The FPU area of this UTCB as bytes (a view, not a copy): the 512-byte FXSAVE image a
   * vCPU message with MTD FPU carries, at {@link UTCB_FPU}.
   */
  fpuImage(): Uint8Array {
    return new Uint8Array(this.view.buffer, this.view.byteOffset + this.base + UTCB_FPU, FPU_IMAGE_BYTES);
  }

  /**
   * Kernel side of a VM-exit reply or `ec_ctrl` set-state: copy the state selected by `mtd`
   * from the UTCB into `s`. QUAL is read only; CTRL is write only (ctrl0/1 are taken);
   * TSC adds `tscOff` to the current offset; FPU takes the 512-byte image at {@link UTCB_FPU}.
   */
  saveVcpu(s: VcpuState, mtd: number = this.mtd): void {
    if (mtd & Mtd.ACDB) {
      s.rax = this.word(F.rax);
      s.rcx = this.word(F.rcx);
      s.rdx = this.word(F.rdx);
      s.rbx = this.word(F.rbx);
    }
    if (mtd & Mtd.EBSD) {
      s.rbp = this.word(F.rbp);
      s.rsi = this.word(F.rsi);
      s.rdi = this.word(F.rdi);
    }
    if (mtd & Mtd.R8_R15) {
      s.r8 = this.word(F.r8);
      s.r9 = this.word(F.r9);
      s.r10 = this.word(F.r10);
      s.r11 = this.word(F.r11);
      s.r12 = this.word(F.r12);
      s.r13 = this.word(F.r13);
      s.r14 = this.word(F.r14);
      s.r15 = this.word(F.r15);
    }
    if (mtd & Mtd.ESP) s.rsp = this.word(F.rsp);
    if (mtd & Mtd.EIP) {
      s.rip = this.word(F.rip);
      s.instLen = this.word(F.instLen);
    }
    if (mtd & Mtd.EFL) s.rflags = this.word(F.rflags);
    if (mtd & Mtd.ESDS) {
      s.ds = this.segment('ds');
      s.es = this.segment('es');
    }
    if (mtd & Mtd.FSGS) {
      s.fs = this.segment('fs');
      s.gs = this.segment('gs');
    }
    if (mtd & Mtd.CSSS) {
      s.cs = this.segment('cs');
      s.ss = this.segment('ss');
    }
    if (mtd & Mtd.TR) s.tr = this.segment('tr');
    if (mtd & Mtd.LDTR) s.ldtr = this.segment('ldtr');
    if (mtd & Mtd.GDTR) s.gdtr = this.segment('gdtr');
    if (mtd & Mtd.IDTR) s.idtr = this.segment('idtr');
    if (mtd & Mtd.CR) {
      s.cr0 = this.word(F.cr0);
      s.cr2 = this.word(F.cr2);
      s.cr3 = this.word(F.cr3);
      s.cr4 = this.word(F.cr4);
    }
    if (mtd & Mtd.DR) s.dr7 = this.word(F.dr7);
    if (mtd & Mtd.SYS) {
      s.sysenterCs = this.word(F.sysenterCs);
      s.sysenterRsp = this.word(F.sysenterRsp);
      s.sysenterRip = this.word(F.sysenterRip);
    }
    if (mtd & Mtd.CTRL) {
      s.ctrl0 = this.dword(F.ctrl0);
      s.ctrl1 = this.dword(F.ctrl1);
    }
    if (mtd & Mtd.INJ) {
      s.intrInfo = this.dword(F.intrInfo);
      s.intrError = this.dword(F.intrError);
    }
    if (mtd & Mtd.STA) {
      s.intrState = this.dword(F.intrState);
      s.actvState = this.dword(F.actvState);
    }
    if (mtd & Mtd.TSC) s.tscOff += this.signed('tscOff');
    if (mtd & Mtd.EFER) s.efer = this.word(F.efer);
    if (mtd & Mtd.PDPTE) {
      s.pdpte0 = this.word(F.pdpte0);
      s.pdpte1 = this.word(F.pdpte1);
      s.pdpte2 = this.word(F.pdpte2);
      s.pdpte3 = this.word(F.pdpte3);
    }
    if (mtd & Mtd.SYSCALL_SWAPGS) {
      s.star = this.word(F.star);
      s.lstar = this.word(F.lstar);
      s.cstar = this.word(F.cstar);
      s.sfmask = this.word(F.sfmask);
      s.kernelGsBase = this.word(F.kernelGsBase);
    }
    if (mtd & Mtd.TPR) {
      s.tpr = this.dword(F.tpr);
      s.tprThreshold = this.dword(F.tprThreshold);
    }
    if (mtd & Mtd.TSC_AUX) s.tscAux = this.word(F.tscAux);
    if (mtd & Mtd.XSAVE) {
      s.xcr0 = this.word(F.xcr0);
      s.xss = this.word(F.xss);
    }
    if (mtd & Mtd.FPU) s.fpu.set(this.fpuImage());
  }

  /** Copy the message of `src` into this UTCB as call/reply do: items word and U words. */
  copyMessageFrom(src: Utcb): void {
    const u = src.u;
    const t = src.t;
    this.setMsg(u, t);
    const n = u * 8;
    if (n > 0) {
      const from = new Uint8Array(src.view.buffer, src.view.byteOffset + src.base + UTCB_DATA, n);
      new Uint8Array(this.view.buffer, this.view.byteOffset + this.base + UTCB_DATA, n).set(from);
    }
  }
}
