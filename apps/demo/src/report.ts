import { exitName, formatSnapshot, sizeName, type Vmm_result } from '@genode-ts/vmm';
import type { Layout_entry } from './layout.js';
import type { Guest_run } from './run-guest.js';

function hex(n: number, width = 8): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}

function bytes(n: number): string {
  if (n >= 2 ** 30 && n % 2 ** 30 === 0) return `${n / 2 ** 30} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(n % 2 ** 20 === 0 ? 0 : 2)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(n % 2 ** 10 === 0 ? 0 : 2)} KiB`;
  return `${n} B`;
}

function grouped(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** One line saying how the VM ended. */
export function describeResult(r: Vmm_result | undefined): string {
  if (r === undefined) return 'the system went quiet before the VM stopped';
  switch (r.kind) {
    case 'debug-exit':
      return `the guest wrote ${r.value} to the debug-exit port (0xf4)`;
    case 'triple-fault':
      return `triple fault on vCPU ${r.vcpu} (shutdown, exit 0x7f); last state: ${formatSnapshot(r.state)}`;
    case 'runaway':
      return `runaway: vCPU ${r.vcpu} ran ${grouped(r.budgetUs / 1000)} ms of virtual time (${grouped(r.budgetUs * 1000)} instructions) without an exit; last state: ${formatSnapshot(r.state)}`;
    case 'halted':
      return `vCPU ${r.vcpu} halted with interrupts disabled (HLT with IF = 0: nothing can wake it); last state: ${formatSnapshot(r.state)}`;
    case 'idle':
      return `vCPU ${r.vcpu} halted with interrupts enabled, but no timer is armed and no input can come; last state: ${formatSnapshot(r.state)}`;
    case 'reset':
      return `the guest requested a system reset (${r.reason}); the VMM does not reboot`;
    case 'invalid-state':
    case 'unhandled-exit':
      return `${r.message} on vCPU ${r.vcpu}; last state: ${formatSnapshot(r.state)}`;
    case 'stopped':
      return 'stopped by the host';
  }
}

/** The demo's exit status for a run: 0 only for a clean debug exit with 0. */
export function exitStatus(r: Vmm_result | undefined): number {
  return r?.kind === 'debug-exit' && r.value === 0 ? 0 : 1;
}

function layoutLines(entries: readonly Layout_entry[], indent: string): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const range = `[${hex(e.base)}, ${hex(e.base + e.size)})`;
    const what = e.role !== '' ? e.role : e.label;
    out.push(
      `${indent}${range.padEnd(28)} ${bytes(e.size).padStart(10)}  ${e.kind.padEnd(8)} ${e.rights}  ${what}`.trimEnd(),
    );
    if (e.inner.length === 0) continue;
    if (e.inner.length > 6) {
      const total = e.inner.reduce((n, x) => n + x.size, 0);
      out.push(`${indent}    ${e.inner.length} regions, ${bytes(total)} attached`);
      continue;
    }
    for (const x of e.inner) {
      out.push(
        `${indent}    ${`[${hex(x.base)}, ${hex(x.base + x.size)})`.padEnd(28)} ${bytes(x.size).padStart(10)}  ${x.kind.padEnd(8)} ${x.rights}  offset ${hex(x.offset, 1)}`,
      );
    }
    if (e.label !== '' && e.role !== '') out.push(`${indent}    (region map '${e.label}')`);
  }
  return out;
}

/** The final report (stderr), one string per line. */
export function formatReport(run: Guest_run): string[] {
  const vmm = run.vmm;
  const lines: string[] = [];
  lines.push(`VM stopped: ${describeResult(vmm?.result())}`);
  if (vmm === undefined) return lines;
  const s = vmm.stats;
  lines.push('');
  lines.push(`exits by reason (${grouped(s.totalExits())} in all):`);
  for (const [reason, n] of [...s.exits.entries()].sort((a, b) => a[0] - b[0])) {
    lines.push(`  ${exitName(reason).padEnd(32)} ${grouped(n).padStart(10)}`);
  }
  const blocks = [...s.blocks.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([l, n]) => `${sizeName(2 ** l)} x${n}`)
    .join(', ');
  lines.push(
    `NPT faults: ${s.nptRam} resolved from guest RAM by G delegations (${blocks || 'none'}; ${bytes(s.bytesDelegated)} mapped), ${s.nptMmio} emulated as MMIO (${s.mmioReads} reads, ${s.mmioWrites} writes)`,
  );
  const faults = [...run.tracer.faults.entries()].find(([pd]) => pd.endsWith('vmm'));
  const mapped = faults
    ? [...faults[1].mapped.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([l, n]) => `${sizeName(2 ** l)} x${n}`)
        .join(', ')
    : '';
  const total = faults?.[1].faults ?? 0;
  lines.push(
    `VMM page faults resolved by core: ${total} (${mapped || 'nothing'} mapped into the VMM): ${s.vmmFaults} by the NPT handler's touch, ${total - s.vmmFaults} by loading the guest`,
  );
  lines.push(
    `port I/O: ${grouped(s.ioReads)} reads, ${grouped(s.ioWrites)} writes (${s.stringIo} string instructions emulated); interrupts injected: ${s.injected}, window requests: ${s.windows}, recalls: ${s.recalls}; serial bytes: ${grouped(vmm.serialBytes)}`,
  );
  lines.push('');
  lines.push(`VMM address space (core's region map of the VMM's PD):`);
  lines.push(...layoutLines(run.layout, '  '));
  lines.push('  (the VMM’s device models and bookkeeping live on the JavaScript heap, not in Genode RAM)');
  lines.push('');
  const secs = run.wallMs / 1000;
  const mips = secs > 0 ? run.instructions / secs / 1e6 : 0;
  lines.push(
    `guest: ${grouped(run.instructions)} instructions, ${mips.toFixed(1)} MIPS; virtual time ${(run.virtualUs / 1000).toFixed(3)} ms (${(s.haltedUs / 1000).toFixed(3)} ms halted); wall time ${secs.toFixed(3)} s`,
  );
  return lines;
}
