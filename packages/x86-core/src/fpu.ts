import { type F80, FpEnv, tagOf, zero } from './f80.js';

/**
 * x87 FPU state (SDM vol. 1, ch. 8): eight 80-bit registers (by physical number), control,
 * status (TOP kept apart) and tag words, and the last-instruction/operand pointers.
 */
export class Fpu {
  /** Physical registers R0–R7. */
  readonly regs: F80[] = [zero(0), zero(0), zero(0), zero(0), zero(0), zero(0), zero(0), zero(0)];
  /** Control word. */
  cw = 0x037f;
  /** Status word without TOP (bits 11–13 come from `top`). */
  sw = 0;
  /** Stack top (0–7). */
  top = 0;
  /** Tag word, 2 bits per physical register (3 = empty). */
  tw = 0xffff;
  /** Last instruction pointer, code selector, opcode; last data pointer and selector. */
  fip = 0;
  fcs = 0;
  fop = 0;
  fdp = 0;
  fds = 0;
  /** Rounding/flag state reused by every operation. */
  readonly env: FpEnv = new FpEnv();

  /** Power-on state (SDM vol. 3A, table 9-1). */
  reset(): void {
    for (let k = 0; k < 8; k++) this.regs[k] = zero(0);
    this.cw = 0x0040;
    this.sw = 0;
    this.top = 0;
    this.tw = 0x5555;
    this.fip = 0;
    this.fcs = 0;
    this.fop = 0;
    this.fdp = 0;
    this.fds = 0;
  }

  /** FNINIT. */
  init(): void {
    this.cw = 0x037f;
    this.sw = 0;
    this.top = 0;
    this.tw = 0xffff;
    this.fip = 0;
    this.fcs = 0;
    this.fop = 0;
    this.fdp = 0;
    this.fds = 0;
  }

  /** The status word with TOP merged in. */
  status(): number {
    return (this.sw & ~0x3800) | ((this.top & 7) << 11);
  }

  /** Physical register number of ST(i). */
  phys(i: number): number {
    return (this.top + i) & 7;
  }

  /** Whether ST(i) is empty. */
  isEmpty(i: number): boolean {
    return ((this.tw >> (2 * this.phys(i))) & 3) === 3;
  }

  /** ST(i) (no emptiness check). */
  get(i: number): F80 {
    return this.regs[this.phys(i)]!;
  }

  /** Writes ST(i) and its tag. */
  set(i: number, v: F80): void {
    const p = this.phys(i);
    this.regs[p] = v;
    this.tw = (this.tw & ~(3 << (2 * p))) | (tagOf(v) << (2 * p));
  }

  /** Marks physical register `p` empty. */
  free(p: number): void {
    this.tw |= 3 << (2 * p);
  }

  /** The full tag word as FSTENV stores it (tags recomputed from contents, empty kept). */
  fullTags(): number {
    let t = 0;
    for (let p = 0; p < 8; p++) {
      const tag = (this.tw >> (2 * p)) & 3;
      t |= (tag === 3 ? 3 : tagOf(this.regs[p]!)) << (2 * p);
    }
    return t;
  }
}
