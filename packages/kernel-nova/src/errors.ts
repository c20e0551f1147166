/** Codes of {@link KernelNovaError}. */
export type KernelNovaErrorCode = 'BAD_CONFIG' | 'NOT_CURRENT' | 'NO_CODE' | 'BAD_ENTRY' | 'INTERNAL';

/**
 * A configuration or programmer error in the use of the kernel model (bad boot options, calling
 * a `sys` method of an EC that is not running, a generator yielding something that is not a
 * kernel entry). Expected outcomes of hypercalls are status codes, never this error.
 */
export class KernelNovaError extends Error {
  override readonly name = 'KernelNovaError';
  readonly code: KernelNovaErrorCode;

  constructor(code: KernelNovaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
