export { Attached_dataspace, Attached_ram_dataspace } from './base/attached-dataspace.js';
export { invoke, type Maybe_blocking } from './base/blocking-util.js';
export { Child, type Child_host, type Child_policy, Parent_service, type Service } from './base/child.js';
export { Dataspace_client, Pd_connection, Rm_connection, Rom_connection } from './base/connections.js';
export { Cpu_session_client } from './base/cpu-session-client.js';
export { Entrypoint } from './base/entrypoint.js';
export {
  type Component,
  Component_env,
  defineComponent,
  type Env,
  type Env_sessions,
  Local_region_map,
  STACK_SLOT_SIZE,
  type Stack,
} from './base/env.js';
export { Local_memory } from './base/local-memory.js';
export { format, Hex, Hex_range, Number_of_bytes, type Printable, Ptr } from './base/output.js';
export {
  PARENT_OPS,
  type Parent,
  Parent_client,
  type Session_error,
  type Session_result,
} from './base/parent.js';
export { Pd_session_client, type Ram_allocator, throw_alloc_error } from './base/pd-session-client.js';
export type {
  Alloc_error,
  Alloc_result,
  Attach_error,
  Attach_result,
  Attr,
  Cache,
  Fault,
  Fault_type,
  Range,
  Region_map,
} from './base/region-map.js';
export { Region_map_client, type Region_map_state, throw_attach_error } from './base/region-map-client.js';
export { type Rpc_context, rpc_call } from './base/rpc.js';
export { Signal_handler, Signal_transmitter } from './base/signal.js';
export {
  type Boot_options,
  boot,
  Genode_system,
  type Start_options,
  type Started_component,
} from './base/system.js';
export { DEFAULT_STACK_SIZE, Thread } from './base/thread.js';
export { Vcpu_fpu, Vcpu_register, Vcpu_state } from './base/vcpu-state.js';
export { Vcpu, type Vcpu_delegation, type Vcpu_options, Vm_connection } from './base/vm-connection.js';
export {
  Core,
  type Rom_content,
  type Service_name,
  type Session_args,
  type Stopped_thread,
} from './core/core.js';
export {
  type Attach_dma_result,
  Cap_quota,
  LINKER_AREA_SIZE,
  type Quota_amount,
  Ram_quota,
  type Ref_account_result,
  STACK_AREA_BASE,
  STACK_AREA_SIZE,
} from './core/pd-session-component.js';
export { Account, Quota_guard, type Quota_unit, type Transfer_result } from './core/quota.js';
export { RECURSION_LIMIT } from './core/region-map-component.js';
export {
  CPU_SESSION_QUOTA,
  LOG_SESSION_QUOTA,
  PD_SESSION_QUOTA,
  REGION_MAP_COST,
  RM_SESSION_QUOTA,
  ROM_SESSION_QUOTA,
  type Session_quota,
  SLAB_BLOCK_SIZE,
  VM_SESSION_QUOTA,
} from './core/session-quota.js';
export type { Vm_attach_attr, Vm_attach_result } from './core/vm-session-component.js';
export { GenodeError, type GenodeErrorCode } from './errors.js';
export { type Blocking, done } from './kernel/blocking.js';
export {
  type Capability,
  INVALID_CAPABILITY,
  isValidCapability,
  sameCapability,
} from './kernel/capability.js';
export {
  type BlockedThread,
  type BlockReason,
  type BootedKernel,
  type CoreUpcalls,
  defineKernel,
  type GuestDelegation,
  type Kernel,
  type KernelEntrypoint,
  type KernelPd,
  type KernelSemaphore,
  type KernelSignalSource,
  type KernelThread,
  type KernelVcpu,
  type KernelVm,
  type PageFault,
  type PagerReply,
  type RegionMapWalkStep,
  type RpcHandler,
  type RpcRequest,
  type RpcResult,
  type RunOptions,
  type RunResult,
  type SignalDelivery,
  type ThreadOptions,
  type ThreadOutcome,
  type VcpuExit,
  type VcpuExitReply,
  type VcpuOptions,
  type VmOptions,
} from './kernel/kernel.js';
export type {
  AccessKind,
  Flexpage,
  MachineDescription,
  MapStatus,
  PhysicalMemory,
  Rights,
  Translation,
} from './kernel/memory.js';
export {
  copyVcpuState,
  createVcpuState,
  type DescriptorTableRegister,
  MTD,
  NPT_ERROR,
  type Segment,
  SVM_IOIO,
  VCPU_EXIT,
  VCPU_FPU_BYTES,
  type VcpuState,
} from './kernel/vcpu-state.js';
export { alignDown, alignUp, isAligned, PAGE_MASK, PAGE_SIZE, PAGE_SIZE_LOG2 } from './page.js';
