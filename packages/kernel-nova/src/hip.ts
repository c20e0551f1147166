import { NUM_CPU, NUM_EXC, NUM_SEL, NUM_VMI, PAGE_SIZE } from './constants.js';
import { readWord, writeWord } from './word.js';

/** HIP signature "NOVA". */
export const HIP_SIGNATURE = 0x41564f4e;
/** API version the G-kernel reports. */
export const HIP_API_VERSION = 10;
/** Offset of the CPU descriptors in the model's HIP. */
export const HIP_CPU_OFFS = 0x38;
/** Size of one CPU descriptor. */
export const HIP_CPU_SIZE = 12;
/** Size of one memory descriptor. */
export const HIP_MEM_SIZE = 24;

/** Memory descriptor types (spec/nova.md §7). */
export const HipMemType = {
  AVAILABLE: 1,
  RESERVED: 2,
  ACPI_RECLAIM: 3,
  ACPI_NVS: 4,
  HYPERVISOR: -1,
  MB_MODULE: -2,
} as const;

/** What the kernel puts into its HIP. */
export interface HipInfo {
  readonly cpus: number;
  readonly features: number;
  readonly tscKhz: number;
  readonly gsis: number;
  readonly ramBytes: number;
  /** Start of the kernel's reserved region (end of available memory). */
  readonly kernelStart: number;
  /** Root image pages (multiboot modules). */
  readonly modules: readonly { readonly addr: number; readonly size: number }[];
}

/** A CPU descriptor as read from the HIP. */
export interface HipCpu {
  readonly flags: number;
  readonly thread: number;
  readonly core: number;
  readonly package: number;
}

/** A memory descriptor as read from the HIP. */
export interface HipMem {
  readonly addr: number;
  readonly size: number;
  readonly type: number;
  readonly aux: number;
}

/** A parsed HIP. */
export interface Hip {
  readonly signature: number;
  readonly checksum: number;
  readonly length: number;
  readonly cpuOffs: number;
  readonly cpuSize: number;
  readonly memOffs: number;
  readonly memSize: number;
  readonly features: number;
  readonly apiVersion: number;
  readonly sel: number;
  readonly exc: number;
  readonly vmi: number;
  readonly gsi: number;
  readonly pageSizes: number;
  readonly utcbSizes: number;
  readonly tscKhz: number;
  readonly busFreq: number;
  /** One entry per descriptor (NUM_CPU of them); `flags & 1` = online. */
  readonly cpus: readonly HipCpu[];
  readonly mem: readonly HipMem[];
}

/**
 * Write the Hypervisor Information Page (spec/nova.md §7, x86 layout) at byte `at` of `view`,
 * with a valid 16-bit checksum.
 */
export function buildHip(view: DataView, at: number, info: HipInfo): number {
  const mems: HipMem[] = [
    { addr: 0, size: info.kernelStart, type: HipMemType.AVAILABLE, aux: 0 },
    { addr: info.kernelStart, size: info.ramBytes - info.kernelStart, type: HipMemType.HYPERVISOR, aux: 0 },
    ...info.modules.map((m) => ({ addr: m.addr, size: m.size, type: HipMemType.MB_MODULE, aux: 0 })),
  ];
  const memOffs = HIP_CPU_OFFS + NUM_CPU * HIP_CPU_SIZE;
  const length = memOffs + mems.length * HIP_MEM_SIZE;
  new Uint8Array(view.buffer, view.byteOffset + at, PAGE_SIZE).fill(0);
  view.setUint32(at, HIP_SIGNATURE, true);
  view.setUint16(at + 0x06, length, true);
  view.setUint16(at + 0x08, HIP_CPU_OFFS, true);
  view.setUint16(at + 0x0a, HIP_CPU_SIZE, true);
  view.setUint16(at + 0x0c, memOffs, true);
  view.setUint16(at + 0x0e, HIP_MEM_SIZE, true);
  view.setUint32(at + 0x10, info.features, true);
  view.setUint32(at + 0x14, HIP_API_VERSION, true);
  view.setUint32(at + 0x18, NUM_SEL, true);
  view.setUint32(at + 0x1c, NUM_EXC, true);
  view.setUint32(at + 0x20, NUM_VMI, true);
  view.setUint32(at + 0x24, info.gsis, true);
  view.setUint32(at + 0x28, PAGE_SIZE, true);
  view.setUint32(at + 0x2c, PAGE_SIZE, true);
  view.setUint32(at + 0x30, info.tscKhz, true);
  view.setUint32(at + 0x34, 0, true);
  for (let c = 0; c < info.cpus; c++) {
    const o = at + HIP_CPU_OFFS + c * HIP_CPU_SIZE;
    view.setUint8(o, 1);
    view.setUint8(o + 1, 0);
    view.setUint8(o + 2, c);
    view.setUint8(o + 3, 0);
    view.setUint8(o + 4, c);
  }
  mems.forEach((m, i) => {
    const o = at + memOffs + i * HIP_MEM_SIZE;
    writeWord(view, o, m.addr);
    writeWord(view, o + 8, m.size);
    view.setInt32(o + 16, m.type, true);
    view.setUint32(o + 20, m.aux, true);
  });
  let sum = 0;
  for (let i = 0; i < length; i += 2) sum = (sum + view.getUint16(at + i, true)) & 0xffff;
  view.setUint16(at + 0x04, (0x10000 - sum) & 0xffff, true);
  return length;
}

/** Read a HIP from byte `at` of `view` (e.g. the root task's view of its HIP page). */
export function parseHip(view: DataView, at: number): Hip {
  const cpuOffs = view.getUint16(at + 0x08, true);
  const cpuSize = view.getUint16(at + 0x0a, true);
  const memOffs = view.getUint16(at + 0x0c, true);
  const memSize = view.getUint16(at + 0x0e, true);
  const length = view.getUint16(at + 0x06, true);
  const cpus: HipCpu[] = [];
  for (let o = cpuOffs; cpuSize > 0 && o + cpuSize <= memOffs; o += cpuSize) {
    cpus.push({
      flags: view.getUint8(at + o),
      thread: view.getUint8(at + o + 1),
      core: view.getUint8(at + o + 2),
      package: view.getUint8(at + o + 3),
    });
  }
  const mem: HipMem[] = [];
  for (let o = memOffs; memSize > 0 && o + memSize <= length; o += memSize) {
    mem.push({
      addr: readWord(view, at + o),
      size: readWord(view, at + o + 8),
      type: view.getInt32(at + o + 16, true),
      aux: view.getUint32(at + o + 20, true),
    });
  }
  return {
    signature: view.getUint32(at, true),
    checksum: view.getUint16(at + 0x04, true),
    length,
    cpuOffs,
    cpuSize,
    memOffs,
    memSize,
    features: view.getUint32(at + 0x10, true),
    apiVersion: view.getUint32(at + 0x14, true),
    sel: view.getUint32(at + 0x18, true),
    exc: view.getUint32(at + 0x1c, true),
    vmi: view.getUint32(at + 0x20, true),
    gsi: view.getUint32(at + 0x24, true),
    pageSizes: view.getUint32(at + 0x28, true),
    utcbSizes: view.getUint32(at + 0x2c, true),
    tscKhz: view.getUint32(at + 0x30, true),
    busFreq: view.getUint32(at + 0x34, true),
    cpus,
    mem,
  };
}

/** 16-bit sum over the first `length` bytes of the HIP (0 for a valid HIP). */
export function hipChecksum(view: DataView, at: number): number {
  const length = view.getUint16(at + 0x06, true);
  let sum = 0;
  for (let i = 0; i < length; i += 2) sum = (sum + view.getUint16(at + i, true)) & 0xffff;
  return sum;
}
