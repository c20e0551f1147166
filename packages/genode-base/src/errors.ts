/**
 * Codes of the exceptions Genode's convenience APIs throw (2017–2024 era), plus the model's own
 * programmer errors. Expected outcomes of the primitive APIs are values (`Attach_result`,
 * `Alloc_result`), not exceptions.
 */
export type GenodeErrorCode =
  | 'Region_conflict'
  | 'Invalid_dataspace'
  | 'Out_of_ram'
  | 'Out_of_caps'
  | 'Denied'
  | 'Invalid_session'
  | 'Invalid_argument'
  | 'Service_denied'
  | 'Insufficient_ram_quota'
  | 'Insufficient_cap_quota'
  | 'Ipc_error'
  | 'Not_in_thread'
  | 'Conformance_failure';

/**
 * A Genode exception, named as in Genode's C++ sources so that a Genode engineer recognises it
 * (`Region_map::Region_conflict`, `Out_of_ram`, `Service_denied`, …). `code` is the Genode name.
 */
export class GenodeError extends Error {
  override readonly name: string = 'GenodeError';
  readonly code: GenodeErrorCode;

  constructor(code: GenodeErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.code = code;
  }
}
