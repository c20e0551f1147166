/** Codes of {@link KernelNovaError}. */
export type KernelNovaErrorCode =
  | 'BAD_CONFIG'
  | 'NOT_CURRENT'
  | 'NO_CODE'
  | 'BAD_ENTRY'
  | 'INTERNAL'
  /** A synchronous hypercall (`NovaKernel.hypercallNow`) that would block or switch. */
  | 'WOULD_BLOCK'
  /** Code activated by a synchronous call (`NovaKernel.callNow`) blocked instead of replying. */
  | 'SYNC_BLOCKED'
  /** Misuse of the genode-base backend (an operation outside the context it needs). */
  | 'BAD_CONTEXT'
  /** An RPC to an entrypoint that is busy with a blocking activation (a vCPU exit). */
  | 'RPC_BUSY'
  /** An RPC message with more capability arguments than a receive window holds (4). */
  | 'RPC_TOO_MANY_CAPS';

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
