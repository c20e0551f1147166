import type { Capability } from '../kernel/capability.js';
import { Quota_guard } from './quota.js';
import { Region_map_component, type Region_map_env } from './region-map-component.js';
import { REGION_MAP_COST, type Session_quota } from './session-quota.js';

/** `Rm_session::Create_result`. */
export type Rm_create_result =
  | { readonly ok: true; readonly cap: Capability }
  | { readonly ok: false; readonly error: 'OUT_OF_RAM' | 'OUT_OF_CAPS' | 'DENIED' };

/** The RPC operations of an RM session. */
export const RM_SESSION_OPS: readonly string[] = ['create', 'destroy'];

/**
 * Core's `Rm_session_component` (§2.7): creates free-standing region maps `[0, size)` whose
 * objects and metadata are charged to this session's quota.
 */
export class Rm_session_component {
  readonly label: string;
  readonly ram_guard: Quota_guard;
  readonly cap_guard: Quota_guard;
  readonly cap: Capability;
  readonly #env: Region_map_env;
  readonly #maps = new Map<number, Region_map_component>();
  closed = false;

  constructor(env: Region_map_env, label: string, quota: Session_quota) {
    this.#env = env;
    this.label = label;
    this.ram_guard = new Quota_guard('RAM', quota.ram);
    this.cap_guard = new Quota_guard('caps', quota.caps);
    this.cap_guard.try_withdraw(1);
    this.cap = env.ep.manage(this, RM_SESSION_OPS);
  }

  /** RPC `create(size)`: a region map `[0, size)`. */
  create(size: number): Rm_create_result {
    if (!Number.isSafeInteger(size) || size <= 0) return { ok: false, error: 'DENIED' };
    if (!this.ram_guard.try_withdraw(REGION_MAP_COST.ram)) return { ok: false, error: 'OUT_OF_RAM' };
    if (!this.cap_guard.try_withdraw(REGION_MAP_COST.caps)) {
      this.ram_guard.replenish(REGION_MAP_COST.ram);
      return { ok: false, error: 'OUT_OF_CAPS' };
    }
    const rm = new Region_map_component(this.#env, {
      vm_start: 0,
      vm_size: size,
      md: { ram: this.ram_guard, caps: this.cap_guard },
      label: `${this.label} region map`,
    });
    this.#maps.set(rm.cap.id, rm);
    return { ok: true, cap: rm.cap };
  }

  /** RPC `destroy(cap)`: unknown capabilities are ignored. */
  destroy(cap: Capability): void {
    const rm = cap == null ? undefined : this.#maps.get(cap.id);
    if (rm === undefined) return;
    this.#maps.delete(cap.id);
    rm.destroy();
    this.ram_guard.replenish(REGION_MAP_COST.ram);
    this.cap_guard.replenish(REGION_MAP_COST.caps);
  }

  /** Number of live maps. */
  get map_count(): number {
    return this.#maps.size;
  }

  /** Session upgrade. */
  upgrade(quota: Session_quota): void {
    this.ram_guard.upgrade(quota.ram);
    this.cap_guard.upgrade(quota.caps);
  }

  /** Close: destroy every map; returns the quota to hand back. */
  close(): Session_quota {
    if (this.closed) return { ram: 0, caps: 0 };
    this.closed = true;
    for (const rm of [...this.#maps.values()]) this.destroy(rm.cap);
    this.#env.ep.dissolve(this);
    this.cap_guard.replenish(1);
    return {
      ram: this.ram_guard.limit - this.ram_guard.used,
      caps: this.cap_guard.limit - this.cap_guard.used,
    };
  }
}
