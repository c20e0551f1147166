import { NUM_SEL } from './constants.js';
import { CrdType } from './crd.js';
import type { NovaKernel } from './kernel.js';
import type { MdbNode } from './mdb.js';
import type { Pd } from './pd.js';
import { alignedOverlap, bitOr } from './word.js';

/**
 * Revocation (spec/nova.md §4.5, G-kernel `Pd::revoke`): for every node of `pd` intersecting
 * `[base, base + 2^order)` of space `kind`, remove the `attr` permissions from its descendants
 * (and from the node itself with `self`), then delete every node left without permissions,
 * children first. With `keep` (kim), a node that has children is made inaccessible and unlinked
 * and its children move up to its parent. UTCB nodes are never revoked by the user; `kernel`
 * (PD destruction) removes them too.
 */
export function revokeRange(
  k: NovaKernel,
  pd: Pd,
  kind: 1 | 2 | 3,
  base: number,
  order: number,
  attr: number,
  self: boolean,
  keep: boolean,
  kernel = false,
): void {
  const space = pd.space(kind);
  if (space === undefined) return;
  let b0 = base;
  let o0 = order;
  if (kind === CrdType.OBJ) {
    if (o0 >= 26) {
      b0 = 0;
      o0 = 26;
    } else b0 %= NUM_SEL;
  }
  const mask = attr & 0x1f;
  if (mask === 0) return;
  for (const mdb of space.inRange(b0, o0)) {
    if (mdb.removed || (mdb.utcb && !kernel)) continue;
    if (!alignedOverlap(mdb.base, mdb.order, b0, o0)) continue;
    const b = bitOr(b0, mdb.base);
    const o = Math.min(mdb.order, o0);

    if (keep && mdb.hasChildren) {
      if (mdb.perms & 0x1f) k.demoteNode(mdb, 0x1f);
      k.dropNode(mdb);
      continue;
    }

    // Physical position of the revoked part, for deciding which children intersect it.
    const p = b - mdb.base + mdb.phys;
    const demoted: MdbNode[] = [];
    if (self) walk(mdb, demoted);
    else if (mdb.children !== null) {
      for (const c of mdb.children) {
        if (c.obj !== null || alignedOverlap(c.phys, c.order, p, o)) walk(c, demoted);
      }
    }
    for (const n of demoted) k.demoteNode(n, mask);
    // Delete nodes left without permissions, deepest first.
    for (let i = demoted.length - 1; i >= 0; i--) {
      const n = demoted[i]!;
      if (n.perms === 0 && !n.removed) k.dropNode(n);
    }
  }
}

/** Pre-order list of `n` and its descendants. */
function walk(n: MdbNode, out: MdbNode[]): void {
  out.push(n);
  if (n.children !== null) for (const c of n.children) walk(c, out);
}
