import { type Capability, INVALID_CAPABILITY } from '@genode-ts/genode-base';

/** How deep the capability scan looks into arguments and results (Session_args nest one level). */
const MAX_DEPTH = 4;

/**
 * Whether `v` is a capability handle: an object whose only own properties are a numeric `id`
 * (and the phantom `__interface`). genode-base builds them as `{ id }`, so this is the test.
 */
export function isCapability(v: unknown): v is Capability {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const id = (v as { id?: unknown }).id;
  if (typeof id !== 'number') return false;
  for (const k of Object.keys(v)) if (k !== 'id' && k !== '__interface') return false;
  return true;
}

function isPlain(v: object): boolean {
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/**
 * Prepare a value for an IPC message from a PD: every capability in it (in arrays and plain
 * objects, a few levels deep) that the PD holds is listed once in `carried` — it travels as a
 * typed item — and every capability the PD does not hold is replaced by the invalid capability,
 * as on NOVA, where a PD can only send what its object space contains. Returns `value` itself
 * when nothing was replaced.
 */
export function carryCapabilities(
  value: unknown,
  holds: (id: number) => boolean,
  carried: number[],
  depth = 0,
): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (isCapability(value)) {
    if (value.id < 0) return value;
    if (!holds(value.id)) return INVALID_CAPABILITY;
    if (!carried.includes(value.id)) carried.push(value.id);
    return value;
  }
  if (depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = value[i] as unknown;
      const r = carryCapabilities(v, holds, carried, depth + 1);
      if (r !== v) {
        out ??= value.slice();
        out[i] = r;
      }
    }
    return out ?? value;
  }
  if (!isPlain(value)) return value;
  let out: Record<string, unknown> | null = null;
  const rec = value as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    const v = rec[k];
    const r = carryCapabilities(v, holds, carried, depth + 1);
    if (r !== v) {
      out ??= { ...rec };
      out[k] = r;
    }
  }
  return out ?? value;
}
