import { GenodeError } from '../errors.js';
import type { Capability } from '../kernel/capability.js';
import type { BootedKernel } from '../kernel/kernel.js';

/**
 * What a client stub needs to call RPC objects. C++ Genode has one global RPC mechanism; in
 * JavaScript every stub takes it explicitly — usually the component's `Env`.
 */
export interface Rpc_context {
  readonly kernel: BootedKernel;
}

/**
 * Call `op` on the object named by `cap` through the kernel. An invalid capability throws
 * Genode's `Ipc_error`.
 */
export function rpc_call<T>(ctx: Rpc_context, cap: Capability, op: string, ...args: readonly unknown[]): T {
  const r = ctx.kernel.call(cap, { op, args });
  if (!r.ok) throw new GenodeError('Ipc_error', `RPC '${op}' on an invalid capability`);
  return r.value as T;
}
