import { NUM_SEL } from './constants.js';
import { type Crd, CrdType, decodeCrd, encodeCrd, NULL_CRD } from './crd.js';
import type { NovaKernel } from './kernel.js';
import { MdbNode, Sub } from './mdb.js';
import type { Pd } from './pd.js';
import { ItemFlag, itemHotspot, itemLowFlags } from './typed-item.js';
import type { Utcb } from './utcb.js';
import { alignDown, alignedOverlap, bitOr, lowBits } from './word.js';

/**
 * Typed-item processing of spec/nova.md §4.3 as the G-kernel does it (`Pd::xfer_items`,
 * `xlt_crd`, `del_crd`, `delegate`), on the model's mapping database.
 */

/** Object selectors wrap modulo 2^26 (an object CRD's base is reduced before use). */
function normalize(c: Crd): Crd {
  if (c.type !== CrdType.OBJ || c.base < NUM_SEL) return c;
  return { type: c.type, base: c.base % NUM_SEL, order: c.order, perms: c.perms };
}

/** NOVA `clamp(snd_base, rcv_base&, snd_ord, rcv_ord)`: intersection test and combined base. */
function clamp(sb: number, rb: number, so: number, ro: number): { base: number; order: number } | null {
  if (!alignedOverlap(sb, so, rb, ro)) return null;
  return { base: bitOr(rb, sb), order: Math.min(so, ro) };
}

/**
 * Translate one item: find the receiver-side selector of the sender's capability by walking
 * the sender node's ancestors (G: with the same-PD rule).
 */
export function translateCrd(src: Pd, dst: Pd, xlt: Crd, item: Crd): Crd {
  const t = xlt.type;
  const crd = normalize(item);
  if (t === CrdType.NULL || t !== crd.type) return NULL_CRD;
  const x = normalize(xlt);
  const space = src.space(t)!;
  const mdb = space.find(crd.base);
  if (mdb === undefined) return NULL_CRD;
  let rb = x.base;
  let ro = x.order;
  let node: MdbNode | null = null;
  for (let n: MdbNode | null = mdb; n !== null; n = n.parent) {
    if (n.pd === dst && n !== mdb) {
      const c = clamp(n.base, rb, n.order, ro);
      if (c !== null) {
        rb = c.base;
        ro = c.order;
        node = n;
        break;
      }
    }
  }
  if (node === null && mdb.pd === dst) {
    // Genode's same-PD rule: translating inside one PD without a qualifying ancestor yields the item.
    const c = clamp(mdb.base, x.base, mdb.order, x.order);
    if (c !== null) {
      rb = c.base;
      ro = c.order;
      node = mdb;
    }
  }
  if (node === null) return NULL_CRD;
  const sc = clamp(mdb.base, crd.base, mdb.order, crd.order)!;
  const sb = sc.base - mdb.base + (mdb.phys - node.phys) + node.base;
  const r = clamp(sb, rb, sc.order, ro);
  if (r === null) return NULL_CRD;
  const base = t === CrdType.OBJ ? r.base % NUM_SEL : r.base;
  return { type: t, base, order: r.order, perms: mdb.perms };
}

/**
 * Delegate one item from `src` into `dst` through window `del`; returns the result CRD and
 * whether `dst` ran out of quota.
 */
export function delegateCrd(
  k: NovaKernel,
  src: Pd,
  dst: Pd,
  delWindow: Crd,
  item: Crd,
  sub: number,
  hot: number,
): { crd: Crd; oom: boolean } {
  const crd = normalize(item);
  const del = normalize(delWindow);
  const st = crd.type;
  const rt = del.type;
  const a = crd.perms & del.perms;
  if (st !== rt || a === 0) return { crd: NULL_CRD, oom: false };
  let sb = crd.base;
  let rb = del.base;
  const so = crd.order;
  const ro = del.order;
  let o = 0;
  let oom = false;
  switch (rt) {
    case CrdType.MEM:
    case CrdType.OBJ: {
      sb = alignDown(sb, so);
      rb = alignDown(rb, ro);
      if (so < ro) {
        rb = rb + (lowBits(hot, ro) - lowBits(hot, so));
        o = so;
      } else {
        sb = sb + (lowBits(hot, so) - lowBits(hot, ro));
        o = ro;
      }
      oom = delegateRange(k, src, dst, rt, sb, rb, o, a, rt === CrdType.MEM ? sub : 0);
      break;
    }
    case CrdType.IO: {
      const c = clamp(sb, rb, so, ro);
      if (c === null) return { crd: { type: rt, base: rb, order: 0, perms: a }, oom: false };
      rb = c.base;
      o = c.order;
      oom = delegateRange(k, src, dst, rt, rb, rb, o, a, sub & Sub.G);
      break;
    }
    default:
      return { crd: { type: CrdType.NULL, base: rb, order: 0, perms: a }, oom: false };
  }
  if (rt === CrdType.OBJ) rb %= NUM_SEL;
  return { crd: { type: rt, base: rb, order: o, perms: a }, oom };
}

/**
 * Create child nodes in `dst` for every node of `src` inside `[sb, sb + 2^ord)` (clipped),
 * at the corresponding offset from `rb` (NOVA `Pd::delegate`). Occupied slots and zero
 * permissions are skipped silently. Returns true if `dst` ran out of quota (partial).
 */
export function delegateRange(
  k: NovaKernel,
  src: Pd,
  dst: Pd,
  kind: 1 | 2 | 3,
  sb: number,
  rb: number,
  ord: number,
  attr: number,
  sub: number,
): boolean {
  const from = src.space(kind)!;
  const to = dst.space(kind)!;
  for (const node of from.inRange(sb, ord)) {
    if (node.utcb || node.removed) continue;
    const c = clamp(node.base, sb, node.order, ord);
    if (c === null) continue;
    if (dst.quota.hitLimit(1)) return true;
    const perms = node.perms & attr;
    if (perms === 0) continue;
    let base = c.base - sb + rb;
    if (kind === CrdType.OBJ) base %= NUM_SEL;
    if (to.intersects(base, c.order)) continue;
    const phys = node.obj === null ? node.phys + (c.base - node.base) : 0;
    const childSub = (kind === CrdType.MEM ? node.sub & Sub.WC : 0) | sub;
    k.addNode(new MdbNode(dst, kind, base, c.order, perms, phys, node.obj, childSub, node));
  }
  return false;
}

/**
 * NOVA `Pd::xfer_items`: process `count` typed items of `from` (sender `src`) for receiver
 * `dst` with translate window `xlt` and delegation window `del`. Result items go to `to`
 * (normal IPC receivers) at the same index. Returns false if `dst` ran out of quota.
 */
export function transferItems(
  k: NovaKernel,
  src: Pd,
  dst: Pd,
  xlt: Crd,
  del: Crd,
  from: Utcb,
  to: Utcb | null,
  count: number,
): boolean {
  for (let i = 0; i < count; i++) {
    const [crdWord, flags] = from.itemWords(i);
    const item = decodeCrd(crdWord);
    const low = itemLowFlags(flags);
    let res: Crd = NULL_CRD;
    let setAsDel = 0;
    let oom = false;
    const kind = low & 3;
    let delegate = kind === 1;
    if (kind === 0 || kind === 2) {
      res = translateCrd(src, dst, xlt, item);
      if (kind === 2 && res.type === CrdType.NULL) {
        setAsDel = 1;
        delegate = true;
      }
    }
    if (delegate) {
      const h = src.isRoot && (low & ItemFlag.H) !== 0;
      const sub = (low >> 8) & (h ? 7 : 3);
      const r = delegateCrd(k, h ? k.kern : src, dst, del, item, sub, itemHotspot(flags));
      res = r.crd;
      oom = r.oom;
    }
    if (oom) return false;
    if (to !== null) to.setItemWords(i, encodeCrd(res), setAsDel === 1 && low % 2 === 0 ? flags + 1 : flags);
  }
  return true;
}
