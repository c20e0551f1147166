/**
 * Test helper for Genode-level vCPU scenarios (genode-base's `Vcpu_state` on novaKernel with
 * real guest code): the STARTUP state every one of them charges.
 */
import type { Vcpu_state } from '@genode-ts/genode-base';
import { SvmCtrl0, SvmCtrl1 } from '../x86/svm-controls.js';

/**
 * Charge 32-bit flat protected mode at `ip` (CS 0x08 code, SS/DS/ES/FS/GS 0x10 data, 4 GiB,
 * EFLAGS 2, CR0 PE|ET), HLT intercepted and VMRUN set — what the scenarios' STARTUP handlers do.
 */
export function chargeFlat32(s: Vcpu_state, ip: number): void {
  s.ip.charge(ip);
  s.flags.charge(2);
  s.cr0.charge(0x11);
  s.cs.charge({ sel: 8, ar: 0xc9b, limit: 0xffffffff, base: 0 });
  for (const g of [s.ss, s.ds, s.es, s.fs, s.gs])
    g.charge({ sel: 0x10, ar: 0xc93, limit: 0xffffffff, base: 0 });
  s.ctrl_primary.charge(SvmCtrl0.HLT);
  s.ctrl_secondary.charge(SvmCtrl1.VMRUN);
}
