import type { Session_args } from '../core/core.js';
import type { Session_quota } from '../core/session-quota.js';
import type { Capability } from '../kernel/capability.js';
import { type Rpc_context, rpc_call } from './rpc.js';

/** Why a session request failed. */
export type Session_error = 'SERVICE_DENIED' | 'INSUFFICIENT_RAM_QUOTA' | 'INSUFFICIENT_CAP_QUOTA';

/** Result of `Parent::session`. */
export type Session_result =
  | { readonly ok: true; readonly cap: Capability }
  | { readonly ok: false; readonly error: Session_error };

/**
 * `Genode::Parent`: what a component asks of its parent. The parent serves one such RPC object
 * per child (the `Child` object).
 */
export interface Parent {
  /** Open a session; the donated `quota` moves from the child's account along the parent chain. */
  session(service: string, label: string, quota: Session_quota, args: Session_args): Session_result;
  /** Upgrade a session by `quota`; false if the parent could not. */
  upgrade(session: Capability, quota: Session_quota): boolean;
  /** Close a session; its quota returns. */
  close(session: Capability): void;
  /** The component is done. */
  exit(code: number): void;
  /** Ask for more resources, e.g. `ram_quota=12288` or `cap_quota=4`. */
  resource_request(args: string): void;
}

/** The RPC operations of the parent interface. */
export const PARENT_OPS: readonly string[] = ['session', 'upgrade', 'close', 'exit', 'resource_request'];

/** `Parent_client`: the RPC stub of the parent interface. */
export class Parent_client implements Parent {
  readonly #ctx: Rpc_context;
  readonly #cap: Capability;

  constructor(ctx: Rpc_context, cap: Capability) {
    this.#ctx = ctx;
    this.#cap = cap;
  }

  /** Parent RPC `session`. */
  session(service: string, label: string, quota: Session_quota, args: Session_args = {}): Session_result {
    return rpc_call(this.#ctx, this.#cap, 'session', service, label, quota, args);
  }

  /** Parent RPC `upgrade`. */
  upgrade(session: Capability, quota: Session_quota): boolean {
    return rpc_call(this.#ctx, this.#cap, 'upgrade', session, quota);
  }

  /** Parent RPC `close`. */
  close(session: Capability): void {
    rpc_call(this.#ctx, this.#cap, 'close', session);
  }

  /** Parent RPC `exit`. */
  exit(code: number): void {
    rpc_call(this.#ctx, this.#cap, 'exit', code);
  }

  /** Parent RPC `resource_request`. */
  resource_request(args: string): void {
    rpc_call(this.#ctx, this.#cap, 'resource_request', args);
  }
}
