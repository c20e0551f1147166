/**
 * CPUID: the identity and feature set the processor reports (SDM vol. 2, CPUID). Only features
 * the core implements are advertised by default; a consumer may hide more (never add what the
 * core does not implement: the guest would use it).
 */

/** Feature bits of CPUID.1:EDX that this core implements. */
export const CpuidEdx = {
  /** x87 FPU on chip. */
  FPU: 0x1,
  /** Debugging extensions (CR4.DE: DR4/DR5 #UD). */
  DE: 0x4,
  /** 4 MiB pages (CR4.PSE). */
  PSE: 0x8,
  /** RDTSC and CR4.TSD. */
  TSC: 0x10,
  /** RDMSR/WRMSR. */
  MSR: 0x20,
  /** CMPXCHG8B. */
  CX8: 0x100,
  /** Global pages (CR4.PGE). */
  PGE: 0x2000,
  /** CMOVcc (and FCMOVcc/FCOMI when FPU is set). */
  CMOV: 0x8000,
} as const;

/** The CPUID identity and features of a {@link Cpu}. */
export interface CpuidConfig {
  /** 12-character vendor string (leaf 0 EBX, EDX, ECX). */
  vendor: string;
  family: number;
  model: number;
  stepping: number;
  /** Leaf 1 EDX feature bits (a subset of {@link CpuidEdx}). */
  featuresEdx: number;
  /** Leaf 1 ECX feature bits (none implemented: SSE3 and later are absent). */
  featuresEcx: number;
  /** Brand string for leaves 0x80000002–4 (at most 47 characters). */
  brand: string;
}

/**
 * The default identity: "GenuineIntel", family 6 model 3 stepping 3 (a Pentium II class P6
 * without MMX/SSE), with FPU, DE, PSE, TSC, MSR, CX8, PGE and CMOV — exactly what the core
 * implements. Not advertised: VME, PAE, MCE/MCA, APIC, SEP, MTRR, PAT, PSE-36, MMX, FXSR, SSE*.
 */
export function defaultCpuidConfig(): CpuidConfig {
  return {
    vendor: 'GenuineIntel',
    family: 6,
    model: 3,
    stepping: 3,
    featuresEdx:
      CpuidEdx.FPU |
      CpuidEdx.DE |
      CpuidEdx.PSE |
      CpuidEdx.TSC |
      CpuidEdx.MSR |
      CpuidEdx.CX8 |
      CpuidEdx.PGE |
      CpuidEdx.CMOV,
    featuresEcx: 0,
    brand: 'genode-ts x86-core i686',
  };
}

function str4(s: string, at: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) v |= (s.charCodeAt(at + k) & 0xff) << (8 * k);
  return v;
}

/**
 * CPUID results precomputed from a configuration (CPUID executes without allocating).
 */
export class CpuidTable {
  private readonly basic: Int32Array[] = [];
  private readonly ext: Int32Array[] = [];

  constructor(cfg: CpuidConfig, apicId: number) {
    for (let l = 0; l <= 1; l++) {
      const out = new Int32Array(4);
      cpuidLeaf(cfg, apicId, l, 0, out);
      this.basic.push(out);
    }
    for (let l = 0; l <= 4; l++) {
      const out = new Int32Array(4);
      cpuidLeaf(cfg, apicId, 0x80000000 + l, 0, out);
      this.ext.push(out);
    }
  }

  /** Writes [eax, ebx, ecx, edx] for leaf `eax` into `out`. */
  lookup(eax: number, out: Int32Array): void {
    const leaf = eax >>> 0;
    let src: Int32Array;
    if (leaf >= 0x80000000) {
      const x = this.ext[leaf - 0x80000000];
      if (x === undefined) {
        out.fill(0, 0, 4);
        return;
      }
      src = x;
    } else {
      src = this.basic[Math.min(leaf, 1)]!;
    }
    out[0] = src[0]!;
    out[1] = src[1]!;
    out[2] = src[2]!;
    out[3] = src[3]!;
  }
}

/**
 * Computes CPUID for leaf `eax` (subleaf `ecx`) into `out` = [eax, ebx, ecx, edx].
 * Unknown basic leaves return the highest basic leaf's values as Intel processors do; unknown
 * extended leaves return zeros.
 */
export function cpuidLeaf(
  cfg: CpuidConfig,
  apicId: number,
  eax: number,
  _ecx: number,
  out: Int32Array,
): void {
  const leaf = eax >>> 0;
  const maxBasic = 1;
  const maxExt = 0x80000004;
  let l = leaf;
  if (l > maxBasic && l < 0x80000000) l = maxBasic;
  out[0] = 0;
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
  const vendor = `${cfg.vendor}            `.slice(0, 12);
  if (l === 0) {
    out[0] = maxBasic;
    out[1] = str4(vendor, 0);
    out[3] = str4(vendor, 4);
    out[2] = str4(vendor, 8);
  } else if (l === 1) {
    const fam = cfg.family & 0xf;
    out[0] =
      ((cfg.family > 15 ? (cfg.family - 15) & 0xff : 0) << 20) |
      (fam << 8) |
      ((cfg.model & 0xf) << 4) |
      (cfg.stepping & 0xf);
    out[0] |= ((cfg.model >> 4) & 0xf) << 16;
    out[1] = (apicId & 0xff) << 24;
    out[2] = cfg.featuresEcx;
    out[3] = cfg.featuresEdx;
  } else if (l === 0x80000000) {
    out[0] = maxExt;
  } else if (l >= 0x80000002 && l <= 0x80000004) {
    const b = `${`${cfg.brand}${'\0'.repeat(48)}`.slice(0, 47)}\0`;
    const base = (l - 0x80000002) * 16;
    for (let k = 0; k < 4; k++) out[k] = str4(b, base + 4 * k);
  }
}
