/** Error codes of {@link X86Error}: configuration and programmer errors of the processor model. */
export type X86ErrorCode = 'INVALID_CONFIG' | 'INVALID_STATE' | 'BAD_IMAGE' | 'OUT_OF_RANGE';

/**
 * A configuration or programmer error in x86-core (a bad option, a RAM size that is not a whole
 * number of pages, an access outside the physical address space given to the core).
 * Guest-visible faults are never thrown: they are architectural exceptions or exits.
 */
export class X86Error extends Error {
  override readonly name: string = 'X86Error';
  readonly code: X86ErrorCode;

  constructor(code: X86ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
