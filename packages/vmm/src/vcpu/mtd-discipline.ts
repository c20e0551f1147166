import { MTD, type Vcpu_state } from '@genode-ts/genode-base';

/**
 * The MTD group of every register of `Genode::Vcpu_state` (spec/nova.md §5.2): an exit handler
 * may read only what its portal's MTD delivered and write only what a reply with that MTD can
 * carry. `qual_*` are read-only, `ctrl_*` write-only (NOVA).
 */
export const REGISTER_MTD: Readonly<Record<string, number>> = {
  ax: MTD.ACDB,
  cx: MTD.ACDB,
  dx: MTD.ACDB,
  bx: MTD.ACDB,
  bp: MTD.EBSD,
  si: MTD.EBSD,
  di: MTD.EBSD,
  sp: MTD.ESP,
  ip: MTD.EIP,
  ip_len: MTD.EIP,
  flags: MTD.EFL,
  r8: MTD.R8_R15,
  r9: MTD.R8_R15,
  r10: MTD.R8_R15,
  r11: MTD.R8_R15,
  r12: MTD.R8_R15,
  r13: MTD.R8_R15,
  r14: MTD.R8_R15,
  r15: MTD.R8_R15,
  es: MTD.ESDS,
  ds: MTD.ESDS,
  fs: MTD.FSGS,
  gs: MTD.FSGS,
  cs: MTD.CSSS,
  ss: MTD.CSSS,
  tr: MTD.TR,
  ldtr: MTD.LDTR,
  gdtr: MTD.GDTR,
  idtr: MTD.IDTR,
  cr0: MTD.CR,
  cr2: MTD.CR,
  cr3: MTD.CR,
  cr4: MTD.CR,
  dr7: MTD.DR,
  sysenter_cs: MTD.SYS,
  sysenter_sp: MTD.SYS,
  sysenter_ip: MTD.SYS,
  qual_primary: MTD.QUAL,
  qual_secondary: MTD.QUAL,
  ctrl_primary: MTD.CTRL,
  ctrl_secondary: MTD.CTRL,
  inj_info: MTD.INJ,
  inj_error: MTD.INJ,
  intr_state: MTD.STA,
  actv_state: MTD.STA,
  tsc: MTD.TSC,
  tsc_offset: MTD.TSC,
  tsc_aux: MTD.TSC_AUX,
  efer: MTD.EFER,
  pdpte_0: MTD.PDPTE,
  pdpte_1: MTD.PDPTE,
  pdpte_2: MTD.PDPTE,
  pdpte_3: MTD.PDPTE,
  star: MTD.SYSCALL_SWAPGS,
  lstar: MTD.SYSCALL_SWAPGS,
  cstar: MTD.SYSCALL_SWAPGS,
  fmask: MTD.SYSCALL_SWAPGS,
  kernel_gs_base: MTD.SYSCALL_SWAPGS,
  tpr: MTD.TPR,
  tpr_threshold: MTD.TPR,
  xcr0: MTD.XSAVE,
  xss: MTD.XSAVE,
};

/** One access of a handler to a register. */
export interface Register_access {
  readonly register: string;
  readonly kind: 'read' | 'write';
  /** The register's MTD group. */
  readonly group: number;
  /** Whether the exit's MTD covers it (reads: delivered; writes: `QUAL` is never writable). */
  readonly allowed: boolean;
}

interface Register_like {
  value(): unknown;
  charge(v: unknown): void;
  charged(): boolean;
}

/**
 * Puts a watch on every register of `state` for the duration of one exit handler: each
 * `value()` and `charge()` is reported to `observe` with whether the exit's `mtd` allows it
 * (reads need the group in `mtd`, writes need it too and may not touch `QUAL`; `CTRL` is
 * writable whenever the handler's reply sets it, so it counts as allowed for writes). Returns
 * the function that takes the watch off again (the state must be released before it is written
 * back).
 *
 * @example
 * ```ts
 * const release = watchVcpuState(state, exitMtd, (a) => { if (!a.allowed) violations.push(a) });
 * try { handler(state) } finally { release() }
 * ```
 */
export function watchVcpuState(
  state: Vcpu_state,
  mtd: number,
  observe: (a: Register_access) => void,
): () => void {
  const target = state as unknown as Record<string, Register_like>;
  const originals: [string, Register_like][] = [];
  for (const [name, group] of Object.entries(REGISTER_MTD)) {
    const reg = target[name];
    if (reg === undefined) continue;
    originals.push([name, reg]);
    const readable = (mtd & group) !== 0 && group !== MTD.CTRL;
    const writable = group === MTD.CTRL || ((mtd & group) !== 0 && group !== MTD.QUAL);
    const watched: Register_like = {
      value: () => {
        observe({ register: name, kind: 'read', group, allowed: readable });
        return reg.value();
      },
      charge: (v) => {
        observe({ register: name, kind: 'write', group, allowed: writable });
        reg.charge(v);
      },
      charged: () => reg.charged(),
    };
    Object.defineProperty(state, name, { value: watched, configurable: true, writable: true });
  }
  return () => {
    for (const [name, reg] of originals) {
      Object.defineProperty(state, name, { value: reg, configurable: true, writable: true });
    }
  };
}
