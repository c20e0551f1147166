import { type CpuidConfig, defaultCpuidConfig } from '@genode-ts/x86-core';

/** The four result registers of CPUID. */
export interface Cpuid_result {
  readonly eax: number;
  readonly ebx: number;
  readonly ecx: number;
  readonly edx: number;
}

function str4(s: string, at: number): number {
  return (
    (s.charCodeAt(at) |
      (s.charCodeAt(at + 1) << 8) |
      (s.charCodeAt(at + 2) << 16) |
      (s.charCodeAt(at + 3) << 24)) >>>
    0
  );
}

/**
 * What the VMM answers a guest's CPUID with (the CPUID exit, 0x72): the identity of the
 * processor the guest really runs on, i.e. x86-core's (`defaultCpuidConfig()`, Intel SDM vol. 2
 * CPUID: leaf 0 vendor and highest basic leaf 1; leaf 1 signature, initial APIC id in EBX
 * bits 31:24, feature flags; leaves 0x80000000–4 highest extended leaf and brand string).
 * Unknown basic leaves answer as the highest basic leaf, unknown extended leaves with zeros,
 * as Intel processors do — the same values the processor gives without a VMM, so a guest
 * behaves alike bare and virtualized. No hypervisor leaf is advertised (Seoul zeroes the KVM
 * signature leaf 0x40000000 for the same reason: the guest shall not look for paravirtual
 * interfaces that are not there).
 */
export class Cpuid_model {
  readonly config: CpuidConfig;

  constructor(config: Partial<CpuidConfig> = {}) {
    this.config = { ...defaultCpuidConfig(), ...config };
  }

  /** CPUID(`leaf`) for the vCPU with initial APIC id `apicId`. */
  query(leaf: number, apicId: number): Cpuid_result {
    const cfg = this.config;
    const MAX_BASIC = 1;
    const MAX_EXT = 0x80000004;
    let l = leaf >>> 0;
    if (l > MAX_BASIC && l < 0x80000000) l = MAX_BASIC;
    if (l === 0) {
      const v = `${cfg.vendor}            `.slice(0, 12);
      return { eax: MAX_BASIC, ebx: str4(v, 0), ecx: str4(v, 8), edx: str4(v, 4) };
    }
    if (l === 1) {
      const eax =
        (((cfg.family > 15 ? (cfg.family - 15) & 0xff : 0) << 20) |
          (((cfg.model >> 4) & 0xf) << 16) |
          ((cfg.family & 0xf) << 8) |
          ((cfg.model & 0xf) << 4) |
          (cfg.stepping & 0xf)) >>>
        0;
      return {
        eax,
        ebx: ((apicId & 0xff) << 24) >>> 0,
        ecx: cfg.featuresEcx >>> 0,
        edx: cfg.featuresEdx >>> 0,
      };
    }
    if (l === 0x80000000) return { eax: MAX_EXT, ebx: 0, ecx: 0, edx: 0 };
    if (l >= 0x80000002 && l <= 0x80000004) {
      const b = `${`${cfg.brand}${'\0'.repeat(48)}`.slice(0, 47)}\0`;
      const base = (l - 0x80000002) * 16;
      return { eax: str4(b, base), ebx: str4(b, base + 4), ecx: str4(b, base + 8), edx: str4(b, base + 12) };
    }
    return { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  }
}
