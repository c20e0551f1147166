/**
 * Exit codes of the virtualization model, in AMD SVM numbering (AMD64 APM vol. 2, appendix C,
 * "SVM Intercept Exit Codes"), plus the synthetic codes that NOVA's G-kernel places at the top
 * of the 256-entry vCPU event window (spec/nova.md §5.4).
 */
export const SvmExit = {
  /** Exception intercept for vector v is `EXCP_BASE + v` (0x4e = #PF). */
  EXCP_BASE: 0x40,
  INTR: 0x60,
  NMI: 0x61,
  INIT: 0x63,
  VINTR: 0x64,
  CPUID: 0x72,
  PAUSE: 0x77,
  HLT: 0x78,
  INVLPG: 0x79,
  IOIO: 0x7b,
  MSR: 0x7c,
  SHUTDOWN: 0x7f,
  VMRUN: 0x80,
  VMMCALL: 0x81,
  /** SVM's hardware code for a nested page fault (0x400), which NOVA remaps to {@link NPT_FAULT}. */
  NPF_HW: 0x400,
  /** NOVA: unsupported SVM exit code >= 256. */
  UNSUPPORTED: 0xfb,
  /** NOVA: nested page fault (NPT miss or permission violation). */
  NPT_FAULT: 0xfc,
  /** NOVA: invalid guest state. */
  INVALID_STATE: 0xfd,
  /** NOVA: first dispatch of a vCPU after its SC was bound. */
  STARTUP: 0xfe,
  /** NOVA: recall (`ec_ctrl` recall, or the model's instruction budget ran out). */
  RECALL: 0xff,
} as const;

/** One of the {@link SvmExit} codes. */
export type SvmExitCode = (typeof SvmExit)[keyof typeof SvmExit];

const names: ReadonlyMap<number, string> = new Map(
  Object.entries(SvmExit)
    .filter(([name]) => name !== 'EXCP_BASE')
    .map(([name, code]) => [code, name]),
);

/**
 * A readable name for an exit code: `HLT`, `NPT_FAULT`, `EXCP_0x0e` for exception intercepts,
 * `0x1234` for anything else. Meant for logs and reports.
 */
export function svmExitName(code: number): string {
  const name = names.get(code);
  if (name !== undefined) return name;
  if (code >= SvmExit.EXCP_BASE && code < SvmExit.EXCP_BASE + 32) {
    return `EXCP_0x${(code - SvmExit.EXCP_BASE).toString(16).padStart(2, '0')}`;
  }
  return `0x${code.toString(16)}`;
}
