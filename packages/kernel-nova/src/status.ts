/**
 * Hypercall status codes of the classic NOVA interface as implemented by Genode's NOVA kernel
 * (alex-ab/NOVA r10, "G-kernel"); spec/nova.md §2.2. Genode's names are in the comments.
 */
export const Status = {
  /** NOVA_OK */
  SUCCESS: 0,
  /** NOVA_TIMEOUT: callee busy with DB, dead callee, SM down timed out. */
  TIMEOUT: 1,
  /** NOVA_IPC_ABORT: callee died while handling the call. */
  ABORTED: 2,
  /** NOVA_INV_HYPERCALL */
  BAD_HYP: 3,
  /** NOVA_INV_SELECTOR: wrong object type, missing permission, selector not free. */
  BAD_CAP: 4,
  /** NOVA_INV_PARAMETER */
  BAD_PAR: 5,
  /** NOVA_INV_FEATURE: vCPU without VMX/SVM. */
  BAD_FTR: 6,
  /** NOVA_INV_CPU */
  BAD_CPU: 7,
  /** NOVA_INVD_DEVICE_ID */
  BAD_DEV: 8,
  /** NOVA_PD_OOM: kernel-memory quota of a PD exhausted (G-kernel). */
  QUO_OOM: 9,
} as const;

/** A NOVA hypercall status code. */
export type StatusCode = (typeof Status)[keyof typeof Status];

const statusNames: readonly string[] = Object.keys(Status);

/** The name of a status code (`BAD_CAP`), or `0x..` for a value NOVA does not define. */
export function statusName(code: number): string {
  return statusNames[code] ?? `0x${code.toString(16)}`;
}
