export {
  EcPerm,
  Event,
  HipFeature,
  IoPerm,
  NUM_CPU,
  NUM_EXC,
  NUM_GSI,
  NUM_PORTS,
  NUM_PRIO,
  NUM_SEL,
  NUM_VMI,
  ObjType,
  type ObjTypeCode,
  PAGE_BITS,
  PAGE_SIZE,
  PdPerm,
  PfErr,
  PtPerm,
  Rflags,
  RootSel,
  ScPerm,
  SEL_BITS,
  SmPerm,
  USER_ADDR,
  USER_PAGES,
  UTCB_MAX_ITEMS,
  UTCB_WORDS,
} from './constants.js';
export {
  type Crd,
  type CrdKind,
  CrdType,
  checkQpd,
  crd,
  DEFAULT_QPD,
  decodeCrd,
  decodeQpd,
  encodeCrd,
  encodeQpd,
  ioCrd,
  MemPerm,
  memCrd,
  NULL_CRD,
  objCrd,
  type Qpd,
} from './crd.js';
export { Cont, type ContCode, Ec, type EcKind, type VcpuRuntime } from './ec.js';
export { KernelNovaError, type KernelNovaErrorCode } from './errors.js';
export {
  formatGenodeTrace,
  GenodeTraceLog,
  type GenodeTraceRecord,
  type GenodeTracer,
  nptChains,
} from './genode/genode-trace.js';
export {
  GENODE_USER_END,
  type NovaBackendOptions,
  NovaGenodeEntrypoint,
  NovaGenodeKernel,
  NovaGenodePd,
  NovaGenodeSemaphore,
  NovaGenodeSignalSource,
  NovaGenodeThread,
  NovaGenodeVcpu,
  NovaGenodeVm,
  type PagerObject,
} from './genode/nova-backend.js';
export { type NovaKernelOptions, novaKernel } from './genode/nova-kernel.js';
export { SelectorSpace } from './genode/selector-space.js';
export {
  buildHip,
  HIP_API_VERSION,
  HIP_SIGNATURE,
  type Hip,
  type HipCpu,
  type HipInfo,
  type HipMem,
  HipMemType,
  hipChecksum,
  parseHip,
} from './hip.js';
export { HOST_PSTATE_MAX, HostMsr, HostMsrs } from './host-msr.js';
export { Hypercall, type HypercallNumber } from './hypercall.js';
export { HYPERCALL_NAMES, WORD_NONE } from './hypercalls.js';
export { checkInvariants } from './invariants.js';
export {
  alignedBlocks,
  type EntryFn,
  type InvalidationListener,
  type IoBus,
  NovaKernel,
  type NovaOptions,
  type RootSegment,
  type RunOptions,
  type RunResult,
  type SyncHypercallResult,
  wrapSel,
} from './kernel.js';
export type { Blocking, KernelEntry } from './kernel-entry.js';
export { MdbNode, Sub } from './mdb.js';
export { MTD_ALL, MTD_EXC_MASK, MTD_IRQ, Mtd, mtdHas } from './mtd.js';
export { PageTable, type PageTableEntry, type TableKind, type Translation } from './page-table.js';
export { Pd } from './pd.js';
export { type MmioHandler, PhysicalMemory } from './physical-memory.js';
export { Pt } from './pt.js';
export { Quota, SlabKind, type SlabKindName } from './quota.js';
export { Regs } from './regs.js';
export { Sc, type ScState } from './sc.js';
export { Sm } from './sm.js';
export { Status, type StatusCode, statusName } from './status.js';
export {
  type CreateEcOptions,
  type HypercallRegs,
  type IoSize,
  type RevokeOptions,
  type ScTime,
  type SmDownResult,
  Sys,
} from './sys.js';
export { formatTrace, TraceLog, type TraceRecord, type Tracer } from './trace.js';
export {
  decodeItem,
  encodeItem,
  ItemFlag,
  ItemKind,
  type ItemKindCode,
  type ItemOptions,
  itemFlags,
  itemHotspot,
  itemKind,
  type TypedItem,
} from './typed-item.js';
export {
  segmentOffset,
  UTCB_DATA,
  UTCB_FPU,
  Utcb,
  UtcbField,
  type UtcbFieldName,
  UtcbOffset,
} from './utcb.js';
export type { GuestSpace, VcpuBackend, VcpuEngine, VcpuExit, VcpuPort } from './vcpu-engine.js';
export {
  copyVcpuState,
  FPU_IMAGE_BYTES,
  SEGMENT_NAMES,
  type Segment,
  type SegmentName,
  VcpuState,
} from './vcpu-state.js';
export {
  Efer,
  effectiveControls,
  FORCE_CTRL0,
  FORCE_CTRL1,
  SVM_EXCEPTION_INTERCEPTS,
  SvmCtrl0,
  SvmCtrl1,
  vmrunCheck,
} from './x86/svm-controls.js';
export { X86Vcpu, type X86VcpuConfig, type X86VcpuStats } from './x86/x86-vcpu.js';
export { X86VcpuEngine, type X86VcpuEngineOptions, x86VcpuEngine } from './x86/x86-vcpu-engine.js';
