/**
 * The SVM IOIO exit information (EXITINFO1; AMD APM vol. 2, §15.10.2 "IN and OUT
 * Behaviour", figure 15-2), which NOVA delivers as `qual[0]` of exit 0x7b, with the next RIP in
 * `qual[1]` (EXITINFO2).
 */

/** Bits of the IOIO information word. */
export const IOIO = {
  /** Bit 0: 1 = IN (read from the port), 0 = OUT. */
  TYPE_IN: 0x1,
  /** Bit 2: INS/OUTS. */
  STRING: 0x4,
  /** Bit 3: REP prefix. */
  REP: 0x8,
  /** Bits 6:4: operand size, one-hot (8, 16, 32 bits). */
  SZ8: 0x10,
  SZ16: 0x20,
  SZ32: 0x40,
  /** Bits 9:7: address size, one-hot (16, 32, 64 bits). */
  A16: 0x80,
  A32: 0x100,
  A64: 0x200,
  /** Bits 12:10: effective segment of a string instruction (ES 0 … GS 5). */
  SEG_SHIFT: 10,
  /** Bits 31:16: port. */
  PORT_SHIFT: 16,
} as const;

/** A decoded I/O exit. */
export interface Io_access {
  readonly port: number;
  readonly size: 1 | 2 | 4;
  /** IN (guest reads the port) or OUT. */
  readonly input: boolean;
  /** INS/OUTS: memory operand, needs the instruction emulator. */
  readonly string: boolean;
  readonly rep: boolean;
  /** Address size of a string instruction (16, 32 or 64; 0 when the word names none). */
  readonly addressSize: 0 | 16 | 32 | 64;
  /** Effective segment of a string instruction (0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS). */
  readonly segment: number;
  /**
   * Length of the instruction: `next RIP − RIP` (Seoul: `inst_len = qual[1] - eip`), or the
   * kernel's instruction length when the next RIP is not plausible.
   */
  readonly instLen: number;
}

/**
 * Decodes an IOIO exit. Returns `undefined` when the word is malformed (no or several size
 * bits): the VMM treats that as an invalid guest state rather than guessing.
 *
 * @example
 * ```ts
 * decodeIoio(0x03f8_0010, 0x100005, 0x100004, 1); // OUT byte to 0x3f8, 1-byte instruction
 * ```
 */
export function decodeIoio(
  info: number,
  nextIp: number,
  ip: number,
  kernelInstLen: number,
): Io_access | undefined {
  const w = info >>> 0;
  const sizeBits = w & (IOIO.SZ8 | IOIO.SZ16 | IOIO.SZ32);
  const size = sizeBits === IOIO.SZ8 ? 1 : sizeBits === IOIO.SZ16 ? 2 : sizeBits === IOIO.SZ32 ? 4 : 0;
  if (size === 0) return undefined;
  const a = w & (IOIO.A16 | IOIO.A32 | IOIO.A64);
  const addressSize = a === IOIO.A16 ? 16 : a === IOIO.A32 ? 32 : a === IOIO.A64 ? 64 : 0;
  const fromQual = nextIp - ip;
  const instLen = Number.isInteger(fromQual) && fromQual >= 1 && fromQual <= 15 ? fromQual : kernelInstLen;
  return {
    port: w >>> IOIO.PORT_SHIFT,
    size,
    input: (w & IOIO.TYPE_IN) !== 0,
    string: (w & IOIO.STRING) !== 0,
    rep: (w & IOIO.REP) !== 0,
    addressSize,
    segment: (w >>> IOIO.SEG_SHIFT) & 7,
    instLen,
  };
}

/** Encodes an I/O access as the IOIO word (for tests and scripted guests). */
export function encodeIoio(a: {
  readonly port: number;
  readonly size: 1 | 2 | 4;
  readonly input: boolean;
  readonly string?: boolean;
  readonly rep?: boolean;
  readonly addressSize?: 16 | 32 | 64;
  readonly segment?: number;
}): number {
  const size = a.size === 1 ? IOIO.SZ8 : a.size === 2 ? IOIO.SZ16 : IOIO.SZ32;
  const addr =
    a.addressSize === 16 ? IOIO.A16 : a.addressSize === 64 ? IOIO.A64 : a.addressSize === 32 ? IOIO.A32 : 0;
  return (
    ((a.port & 0xffff) * 2 ** IOIO.PORT_SHIFT +
      (a.input ? IOIO.TYPE_IN : 0) +
      (a.string ? IOIO.STRING : 0) +
      (a.rep ? IOIO.REP : 0) +
      size +
      addr +
      ((a.segment ?? 0) & 7) * 2 ** IOIO.SEG_SHIFT) >>>
    0
  );
}
