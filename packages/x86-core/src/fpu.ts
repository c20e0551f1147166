/**
 * x87 FPU register state (SDM vol. 1, ch. 8). Values are kept as float64 (see x87.ts for the
 * precision limits this implies); tags, status and control words are architectural.
 */
export class Fpu {
  /** Physical registers R0–R7 (not stack-relative). */
  readonly st: Float64Array = new Float64Array(8);
  /** Control word (FNINIT: 0x037f). */
  cw = 0x037f;
  /** Status word without TOP (bits 11–13 come from `top`). */
  sw = 0;
  /** Stack top (0–7). */
  top = 0;
  /** Tag word, 2 bits per physical register (FNINIT: 0xffff = all empty). */
  tw = 0xffff;
  /** Last instruction pointer / opcode / data pointer (FSTENV/FSAVE images). */
  fip = 0;
  fcs = 0;
  fop = 0;
  fdp = 0;
  fds = 0;

  /** Power-on state (SDM vol. 3A, table 9-1): like FNINIT but control word 0x0040. */
  reset(): void {
    this.st.fill(0);
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
}
