import type { Cpu_thread_args } from '../core/simple-sessions.js';
import type { Capability } from '../kernel/capability.js';
import type { KernelEntrypoint, KernelThread } from '../kernel/kernel.js';
import { type Rpc_context, rpc_call } from './rpc.js';

/** `Cpu_session_client`: creates, starts and kills threads of a PD. */
export class Cpu_session_client {
  readonly #ctx: Rpc_context;
  readonly #cap: Capability;

  constructor(ctx: Rpc_context, cap: Capability) {
    this.#ctx = ctx;
    this.#cap = cap;
  }

  /** Create a thread in the PD named by `pd`. */
  create_thread(pd: Capability, args: Cpu_thread_args): KernelThread | undefined {
    return rpc_call(this.#ctx, this.#cap, 'create_thread', pd, args);
  }

  /** Create an entrypoint thread in the PD named by `pd`. */
  create_entrypoint(pd: Capability, args: Cpu_thread_args): KernelEntrypoint | undefined {
    return rpc_call(this.#ctx, this.#cap, 'create_entrypoint', pd, args);
  }

  /** Start a created thread. */
  start(thread: KernelThread): void {
    rpc_call(this.#ctx, this.#cap, 'start', thread);
  }

  /** Kill a thread. */
  kill_thread(thread: KernelThread): void {
    rpc_call(this.#ctx, this.#cap, 'kill_thread', thread);
  }
}
