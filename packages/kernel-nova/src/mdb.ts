import type { CrdKind } from './crd.js';
import type { Kobject } from './kobject.js';
import type { Pd } from './pd.js';
import type { Ranged } from './range-index.js';

/** Sub-space flags of a memory node: also in the DMA table, also in the guest table, write-combined. */
export const Sub = { D: 1, G: 2, WC: 4 } as const;

/**
 * A node of the mapping database (spec/nova.md §4.4): one capability — a naturally aligned range
 * of 2^order selectors in one space of one PD — with its permissions and its place in the
 * derivation tree. Memory nodes carry the physical frame of their first page, port nodes the first
 * port, object nodes the object.
 */
export class MdbNode implements Ranged {
  readonly pd: Pd;
  readonly kind: CrdKind;
  readonly base: number;
  readonly order: number;
  perms: number;
  /** Memory: frame number of `base`; ports: first port; objects: 0. */
  readonly phys: number;
  /** The object of an object capability. */
  readonly obj: Kobject | null;
  /** Memory sub-space flags (see {@link Sub}). */
  sub: number;
  parent: MdbNode | null;
  /** Derived nodes (unordered: removal swaps with the last one). */
  children: MdbNode[] | null = null;
  /** Index of this node in its parent's `children`. */
  childIndex = -1;
  depth: number;
  /** A UTCB page: kernel-owned, never a delegation source, never revoked by the user. */
  readonly utcb: boolean;
  /** Set once the node has left its space. */
  removed = false;
  /** The node this one was delegated from (null for roots); kept when the tree is re-linked. */
  readonly origin: MdbNode | null;

  constructor(
    pd: Pd,
    kind: CrdKind,
    base: number,
    order: number,
    perms: number,
    phys: number,
    obj: Kobject | null,
    sub: number,
    parent: MdbNode | null,
    utcb = false,
  ) {
    this.pd = pd;
    this.kind = kind;
    this.base = base;
    this.order = order;
    this.perms = perms;
    this.phys = phys;
    this.obj = obj;
    this.sub = sub;
    this.parent = parent;
    this.depth = parent === null ? 0 : parent.depth + 1;
    this.utcb = utcb;
    this.origin = parent;
  }

  /** Link `child` below this node. */
  addChild(child: MdbNode): void {
    if (this.children === null) this.children = [];
    child.childIndex = this.children.length;
    this.children.push(child);
  }

  /** Unlink `child`. */
  removeChild(child: MdbNode): void {
    const c = this.children;
    if (c === null || c[child.childIndex] !== child) return;
    const last = c.pop()!;
    if (last !== child) {
      c[child.childIndex] = last;
      last.childIndex = child.childIndex;
    }
    child.childIndex = -1;
  }

  /** True if the node has derived nodes. */
  get hasChildren(): boolean {
    return this.children !== null && this.children.length > 0;
  }

  /** Physical resource number of selector `sel` of this node (memory frame / port / 0). */
  physOf(sel: number): number {
    return this.obj === null ? this.phys + (sel - this.base) : 0;
  }
}
