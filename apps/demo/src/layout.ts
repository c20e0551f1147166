import { type Genode_system, STACK_AREA_BASE } from '@genode-ts/genode-base';
import type { Vmm } from '@genode-ts/vmm';

/** One region of a region map, as core holds it. */
export interface Layout_entry {
  readonly base: number;
  readonly size: number;
  readonly offset: number;
  /** `RAM`, `ROM`, `MANAGED` (a region map), or `reserved` (dataspace gone). */
  readonly kind: string;
  readonly rights: string;
  /** The region map's label for managed dataspaces. */
  readonly label: string;
  /** What the VMM uses it for. */
  readonly role: string;
  /** Regions inside a managed dataspace (one level). */
  readonly inner: readonly Layout_entry[];
}

interface Region_like {
  readonly base: number;
  readonly size: number;
  readonly offset: number;
  readonly write: boolean;
  readonly exec: boolean;
  readonly dsc: {
    readonly kind: string;
    readonly sub_rm: { readonly label: string; regions(): IterableIterator<Region_like> } | null;
  } | null;
}

function entry(r: Region_like, role: string, depth: number): Layout_entry {
  const sub = r.dsc?.sub_rm ?? null;
  return {
    base: r.base,
    size: r.size,
    offset: r.offset,
    kind: r.dsc === null ? 'reserved' : r.dsc.kind,
    rights: `r${r.write ? 'w' : '-'}${r.exec ? 'x' : '-'}`,
    label: sub?.label ?? '',
    role,
    inner: sub !== null && depth === 0 ? [...sub.regions()].map((x) => entry(x, '', 1)) : [],
  };
}

/**
 * The VMM's address space as core's region map of its PD holds it, each region named by what the
 * VMM uses it for: the Virtual_reservation (guest-physical slots of a colocated VM), the
 * guest-memory window (RAM dataspaces at guest-physical offsets), the stack area (the VMM's
 * threads: its entrypoints, the vCPU dispatchers, the timer). Everything else of the VMM — its
 * device models and bookkeeping — lives on the JavaScript heap, not in Genode RAM.
 */
export function vmmLayout(system: Genode_system, pdId: number, vmm: Vmm | undefined): Layout_entry[] {
  const pd = system.core.pd_of(pdId);
  const as = pd?.address_space_rm;
  if (as === undefined || as === null) return [];
  const out: Layout_entry[] = [];
  for (const r of as.regions() as IterableIterator<Region_like>) {
    let role = '';
    if (vmm?.reservation !== undefined && r.base === vmm.reservation.range().start) {
      role = 'Virtual_reservation: guest-physical slots of the colocated VM (nothing attached)';
    } else if (vmm !== undefined && r.base === vmm.memory.window_base()) {
      role = 'guest-memory window: guest-physical X at window + X';
    } else if (r.base === STACK_AREA_BASE) {
      role = 'stack area: the VMM’s threads (entrypoint, vCPU dispatchers, timer)';
    }
    out.push(entry(r, role, 0));
  }
  return out.sort((a, b) => a.base - b.base);
}
