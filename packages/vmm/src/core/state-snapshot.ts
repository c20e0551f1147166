import { MTD, type Vcpu_state } from '@genode-ts/genode-base';

/** Registers of a vCPU at an exit, for reports (only those the exit's MTD delivered). */
export type State_snapshot = Readonly<Record<string, number>>;

/** Takes the registers `mtd` covers out of `s` (reads nothing outside the MTD). */
export function snapshotState(s: Vcpu_state, mtd: number): State_snapshot {
  const out: Record<string, number> = {};
  if (mtd & MTD.EIP) out.eip = s.ip.value() >>> 0;
  if (mtd & MTD.CSSS) {
    out.cs = s.cs.value().sel;
    out.ss = s.ss.value().sel;
  }
  if (mtd & MTD.EFL) out.eflags = s.flags.value() >>> 0;
  if (mtd & MTD.ACDB) {
    out.eax = s.ax.value() >>> 0;
    out.ebx = s.bx.value() >>> 0;
    out.ecx = s.cx.value() >>> 0;
    out.edx = s.dx.value() >>> 0;
  }
  if (mtd & MTD.EBSD) {
    out.esi = s.si.value() >>> 0;
    out.edi = s.di.value() >>> 0;
    out.ebp = s.bp.value() >>> 0;
  }
  if (mtd & MTD.ESP) out.esp = s.sp.value() >>> 0;
  if (mtd & MTD.CR) {
    out.cr0 = s.cr0.value() >>> 0;
    out.cr2 = s.cr2.value() >>> 0;
    out.cr3 = s.cr3.value() >>> 0;
    out.cr4 = s.cr4.value() >>> 0;
  }
  if (mtd & MTD.IDTR) {
    out.idtr_base = s.idtr.value().base >>> 0;
    out.idtr_limit = s.idtr.value().limit >>> 0;
  }
  if (mtd & MTD.QUAL) {
    out.qual0 = s.qual_primary.value();
    out.qual1 = s.qual_secondary.value();
  }
  return out;
}

const ORDER = [
  'cs',
  'eip',
  'eflags',
  'eax',
  'ebx',
  'ecx',
  'edx',
  'esi',
  'edi',
  'ebp',
  'esp',
  'ss',
  'cr0',
  'cr2',
  'cr3',
  'cr4',
  'idtr_base',
  'idtr_limit',
  'qual0',
  'qual1',
];

/** `cs=0008 eip=00100040 eflags=00000046 eax=…` in a fixed order. */
export function formatSnapshot(s: State_snapshot): string {
  return ORDER.filter((k) => s[k] !== undefined)
    .map((k) => {
      const v = s[k]!;
      const width = k === 'cs' || k === 'ss' ? 4 : 8;
      return `${k}=${v.toString(16).padStart(width, '0')}`;
    })
    .join(' ');
}
