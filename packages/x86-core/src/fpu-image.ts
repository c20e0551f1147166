/**
 * The x87 state as the 512-byte FXSAVE image (Intel SDM vol. 1 §10.5.1, Table 10-2, the
 * non-64-bit layout): the format a hypervisor hands a VMM for a vCPU's FPU (NOVA's MTD FPU bit,
 * Genode's `Vcpu_state::Fpu::State`). This processor is x87 only (CPUID advertises neither
 * FXSR nor SSE), so the image is produced and consumed by the host, never by guest code.
 *
 * | Bytes    | Field                                                               |
 * |----------|---------------------------------------------------------------------|
 * | 0–1      | FCW                                                                 |
 * | 2–3      | FSW (TOP in bits 13:11)                                             |
 * | 4        | abridged FTW: bit i = 1 if physical register Ri is not empty       |
 * | 5        | reserved (0)                                                        |
 * | 6–7      | FOP (bits 10:0; 15:11 are 0)                                        |
 * | 8–11     | FIP (FPU instruction pointer offset)                                |
 * | 12–13    | FCS; 14–15 reserved (0)                                             |
 * | 16–19    | FDP (FPU data pointer offset)                                       |
 * | 20–21    | FDS; 22–23 reserved (0)                                             |
 * | 24–27    | MXCSR = 0x1f80 (its power-on value)                                 |
 * | 28–31    | MXCSR_MASK = 0                                                      |
 * | 32+16·i  | ST(i), i = 0..7, 80 bits (significand LE, then sign·exponent), 6 reserved bytes |
 * | 160–511  | XMM0–7 and reserved: 0                                              |
 *
 * Decisions: MXCSR is written as 0x1f80, the value SSE's MXCSR has after reset and FNINIT does
 * not touch; MXCSR_MASK is written as 0, which SDM vol. 1 §11.6.6 defines as "the default mask
 * 0x0000ffbf" (what processors without DAZ store) — there is no MXCSR to mask on this processor.
 * When an image is consumed, MXCSR, MXCSR_MASK, the XMM area and the reserved bytes are ignored
 * (they would belong to SSE state this processor does not have), so no image is rejected.
 * Loading follows FXRSTOR: the abridged tag bits say only empty / not empty; the tags of the
 * non-empty registers are recomputed from their contents (valid, zero, special), as SDM vol. 2A
 * FXSAVE, "Recreating FPU Tag from FXSAVE Image" describes.
 */
import type { Cpu } from './cpu.js';
import { type F80, tagOf } from './f80.js';
import type { Fpu } from './fpu.js';

/** Size of the FXSAVE image in bytes. */
export const FXSAVE_IMAGE_BYTES = 512;

/** Byte offsets of the fields of the FXSAVE image (SDM vol. 1, Table 10-2). */
export const FxsaveOffset = {
  FCW: 0,
  FSW: 2,
  FTW: 4,
  FOP: 6,
  FIP: 8,
  FCS: 12,
  FDP: 16,
  FDS: 20,
  MXCSR: 24,
  MXCSR_MASK: 28,
  /** ST(0); ST(i) is at `ST0 + 16·i`. */
  ST0: 32,
} as const;

/** MXCSR as the image carries it (the SSE power-on value; this processor has no SSE). */
export const FXSAVE_MXCSR = 0x1f80;

/** MXCSR_MASK as the image carries it: 0 = "default mask 0xffbf" (SDM vol. 1 §11.6.6). */
export const FXSAVE_MXCSR_MASK = 0;

/**
 * The abridged tag word of FXSAVE from a full x87 tag word (2 bits per physical register,
 * 3 = empty): bit i is 1 when register Ri is not empty.
 */
export function abridgedTagWord(fullTags: number): number {
  let t = 0;
  for (let p = 0; p < 8; p++) if (((fullTags >> (2 * p)) & 3) !== 3) t |= 1 << p;
  return t;
}

/**
 * The full x87 tag word from an abridged one and the physical registers' contents, as FXRSTOR
 * rebuilds it: an empty register gets 3, a non-empty one the tag of its value (0 valid, 1 zero,
 * 2 special — NaN, infinity, denormal, unsupported).
 */
export function fullTagWord(abridged: number, regs: readonly F80[]): number {
  let t = 0;
  for (let p = 0; p < 8; p++) {
    const r = regs[p];
    const tag = (abridged & (1 << p)) === 0 || r === undefined ? 3 : tagOf(r);
    t |= tag << (2 * p);
  }
  return t;
}

/**
 * Write the x87 state of `cpu` as a 512-byte FXSAVE image into `dst` at `offset` (every byte of
 * the 512 is written; reserved and SSE bytes are 0). The state itself is left alone (FXSAVE does
 * not reinitialize the FPU). Use it to hand a vCPU's FPU state to a VMM.
 */
export function writeFxsaveImage(cpu: Cpu, dst: Uint8Array, offset = 0): void {
  if (offset < 0 || offset + FXSAVE_IMAGE_BYTES > dst.length) {
    throw new RangeError(`FXSAVE image at ${offset} does not fit into ${dst.length} bytes`);
  }
  const f: Fpu = cpu.fpu;
  dst.fill(0, offset, offset + FXSAVE_IMAGE_BYTES);
  const v = new DataView(dst.buffer, dst.byteOffset + offset, FXSAVE_IMAGE_BYTES);
  v.setUint16(FxsaveOffset.FCW, f.cw & 0xffff, true);
  v.setUint16(FxsaveOffset.FSW, f.status() & 0xffff, true);
  v.setUint8(FxsaveOffset.FTW, abridgedTagWord(f.tw));
  v.setUint16(FxsaveOffset.FOP, f.fop & 0x7ff, true);
  v.setUint32(FxsaveOffset.FIP, f.fip >>> 0, true);
  v.setUint16(FxsaveOffset.FCS, f.fcs & 0xffff, true);
  v.setUint32(FxsaveOffset.FDP, f.fdp >>> 0, true);
  v.setUint16(FxsaveOffset.FDS, f.fds & 0xffff, true);
  v.setUint32(FxsaveOffset.MXCSR, FXSAVE_MXCSR, true);
  v.setUint32(FxsaveOffset.MXCSR_MASK, FXSAVE_MXCSR_MASK, true);
  for (let i = 0; i < 8; i++) {
    const r = f.get(i);
    const o = FxsaveOffset.ST0 + 16 * i;
    v.setBigUint64(o, r.m & 0xffffffffffffffffn, true);
    v.setUint16(o + 8, ((r.s & 1) << 15) | (r.e & 0x7fff), true);
  }
}

/** The x87 state of `cpu` as a new 512-byte FXSAVE image. */
export function fxsaveImage(cpu: Cpu): Uint8Array {
  const out = new Uint8Array(FXSAVE_IMAGE_BYTES);
  writeFxsaveImage(cpu, out);
  return out;
}

/**
 * Load the x87 state of `cpu` from the 512-byte FXSAVE image in `src` at `offset` (FXRSTOR's
 * semantics for the x87 part): FCW (reserved bits normalized as FLDCW does), FSW with TOP, FOP,
 * the pointers, ST0–ST7 into the physical registers TOP+i, and the full tag word rebuilt from
 * the abridged one and the register contents. MXCSR, XMM and reserved bytes are ignored.
 */
export function readFxsaveImage(cpu: Cpu, src: Uint8Array, offset = 0): void {
  if (offset < 0 || offset + FXSAVE_IMAGE_BYTES > src.length) {
    throw new RangeError(`FXSAVE image at ${offset} does not fit into ${src.length} bytes`);
  }
  const f: Fpu = cpu.fpu;
  const v = new DataView(src.buffer, src.byteOffset + offset, FXSAVE_IMAGE_BYTES);
  const fsw = v.getUint16(FxsaveOffset.FSW, true);
  f.top = (fsw >> 11) & 7;
  f.sw = fsw & ~0x3800;
  // FLDCW's normalization (ops/x87.ts `setCw`): bits 15:13 and 7 reserved (0), bit 6 reads 1.
  f.cw = (v.getUint16(FxsaveOffset.FCW, true) & 0x1f7f) | 0x40;
  f.fop = v.getUint16(FxsaveOffset.FOP, true) & 0x7ff;
  f.fip = v.getUint32(FxsaveOffset.FIP, true);
  f.fcs = v.getUint16(FxsaveOffset.FCS, true);
  f.fdp = v.getUint32(FxsaveOffset.FDP, true);
  f.fds = v.getUint16(FxsaveOffset.FDS, true);
  for (let i = 0; i < 8; i++) {
    const o = FxsaveOffset.ST0 + 16 * i;
    const se = v.getUint16(o + 8, true);
    f.regs[f.phys(i)] = { s: se >> 15, e: se & 0x7fff, m: v.getBigUint64(o, true) };
  }
  f.tw = fullTagWord(v.getUint8(FxsaveOffset.FTW), f.regs);
}
