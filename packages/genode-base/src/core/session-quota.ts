/**
 * Session quotas that clients donate when they open a session (spec/genode.md §1 constants).
 * Values marked "model" are not Genode constants but choices of this model, documented in the
 * package README.
 */

/** RAM bytes and capabilities donated to or charged by a session. */
export interface Session_quota {
  readonly ram: number;
  readonly caps: number;
}

/** `Pd_session::RAM_QUOTA` (24 KiB · sizeof(long)) and `CAP_QUOTA`. */
export const PD_SESSION_QUOTA: Session_quota = { ram: 24 * 1024 * 8, caps: 13 };
/** `Rm_connection`: 64 KiB RAM, `Rm_session::CAP_QUOTA` 2. */
export const RM_SESSION_QUOTA: Session_quota = { ram: 64 * 1024, caps: 2 };
/** `Cpu_session::RAM_QUOTA` 36 KiB, `CAP_QUOTA` 6. */
export const CPU_SESSION_QUOTA: Session_quota = { ram: 36 * 1024, caps: 6 };
/** LOG session: 8 KiB, 2 caps (model). */
export const LOG_SESSION_QUOTA: Session_quota = { ram: 8 * 1024, caps: 2 };
/** ROM session: 6 KiB, 2 caps (model). */
export const ROM_SESSION_QUOTA: Session_quota = { ram: 6 * 1024, caps: 2 };
/** VM session: 16 KiB, 4 caps (model). */
export const VM_SESSION_QUOTA: Session_quota = { ram: 16 * 1024, caps: 4 };

/**
 * What creating a region map costs an RM session: one sliced-heap allocation for the
 * `Region_map_component` (a page and the capability of its dataspace). Model figure.
 */
export const REGION_MAP_COST: Session_quota = { ram: 4096, caps: 1 };

/** Worst-case slab block for a dataspace object (`Ram_dataspace_factory::SLAB_BLOCK_SIZE`). */
export const SLAB_BLOCK_SIZE = 4096;
