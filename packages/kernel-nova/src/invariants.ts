import { NUM_PORTS, ObjType, PAGE_SIZE, USER_PAGES } from './constants.js';
import { CrdType } from './crd.js';
import type { NovaKernel } from './kernel.js';
import type { MdbNode } from './mdb.js';
import { Sub } from './mdb.js';
import type { PageTable } from './page-table.js';
import type { Pd } from './pd.js';

/** Object type names for messages. */
const OBJ_NAMES: Record<number, string> = {
  [ObjType.PD]: 'PD',
  [ObjType.EC]: 'EC',
  [ObjType.SC]: 'SC',
  [ObjType.PT]: 'PT',
  [ObjType.SM]: 'SM',
};

/**
 * Check the kernel's internal invariants and return every violation found (empty = consistent).
 * What the model-based fuzz test asserts after each step; usable from any test or tool:
 *
 * - every capability is a live mapping-database node in its space, linked to its parent;
 * - no node has more rights than its parent; derived nodes name what they were derived from;
 * - object capabilities only exist where created or delegated, and only for live objects,
 *   and each object's capability count matches;
 * - no PD maps kernel memory other than its own UTCBs (and the root's read-only HIP);
 * - derived page tables (host, guest, DMA) are exactly what the memory nodes imply;
 * - quota limits are conserved (the pool is split without loss) and MDB slabs match nodes;
 * - call links are symmetric and every SC is in exactly one scheduler place.
 */
export function checkInvariants(k: NovaKernel): string[] {
  const out: string[] = [];
  const capCount = new Map<object, number>();
  const ramKernelStart = k.memory.kernelStart;
  const ramEnd = k.memory.pages;
  for (const pd of k.pds) {
    if (pd.destroyed) {
      out.push(`${pd.label}: destroyed PD still listed`);
      continue;
    }
    for (const [kind, space] of [
      [CrdType.MEM, pd.mem],
      [CrdType.IO, pd.pio],
      [CrdType.OBJ, pd.obj],
    ] as const) {
      for (const n of space.values()) {
        const where = `${pd.label} ${['', 'mem', 'io', 'obj'][kind]}@${n.base.toString(16)}`;
        if (n.removed) out.push(`${where}: removed node still in its space`);
        if (n.kind !== kind || n.pd !== pd) out.push(`${where}: node in the wrong space`);
        if (n.perms === 0 || n.perms > 0x1f) out.push(`${where}: perms ${n.perms}`);
        const p = n.parent;
        if (p !== null) {
          if (p.removed) out.push(`${where}: parent was removed`);
          if (p.children === null || p.children[n.childIndex] !== n)
            out.push(`${where}: not among its parent's children`);
          if ((n.perms & ~p.perms) !== 0) out.push(`${where}: perms ${n.perms} exceed parent's ${p.perms}`);
          if (n.depth !== p.depth + 1) out.push(`${where}: depth ${n.depth} under ${p.depth}`);
        } else if (n.depth !== 0) out.push(`${where}: root with depth ${n.depth}`);
        if (n.children !== null) {
          n.children.forEach((c, i) => {
            if (c.parent !== n || c.childIndex !== i || c.removed) out.push(`${where}: broken child link`);
          });
        }
        if (n.origin !== null) {
          if (n.origin.obj !== n.obj) out.push(`${where}: derived from a node of another object`);
          if (
            n.obj === null &&
            (n.phys < n.origin.phys || n.phys + 2 ** n.order > n.origin.phys + 2 ** n.origin.order)
          ) {
            out.push(`${where}: resource outside what it was derived from`);
          }
        }
        if (kind === CrdType.OBJ) {
          const o = n.obj;
          if (o === null) out.push(`${where}: object node without object`);
          else {
            if (o.destroyed) out.push(`${where}: capability to a destroyed ${OBJ_NAMES[o.type]}`);
            if (n.origin === null && o.createdIn !== pd.id && !(pd.isKernel && o.createdIn === -1)) {
              out.push(`${where}: root capability outside the creating PD`);
            }
            capCount.set(o, (capCount.get(o) ?? 0) + 1);
          }
          if (n.order !== 0) out.push(`${where}: object node of order ${n.order}`);
        } else if (kind === CrdType.IO) {
          if (n.base + 2 ** n.order > NUM_PORTS) out.push(`${where}: ports beyond 65535`);
        } else if (!pd.isKernel) {
          checkFrames(k, pd, n, ramKernelStart, ramEnd, where, out);
        }
      }
    }
    checkTables(pd, out);
  }
  for (const [o, c] of capCount) {
    if ((o as { capRefs: number }).capRefs !== c) {
      out.push(
        `object ${(o as { id: number }).id}: capRefs ${(o as { capRefs: number }).capRefs} but ${c} capabilities`,
      );
    }
  }
  // Quota: the pool is split between live PDs and the per-CPU reserve.
  let limits = k.cpuReserve;
  for (const pd of k.pds) limits += pd.quota.limit;
  if (limits !== k.quotaTotal) out.push(`quota: limits add up to ${limits}, pool is ${k.quotaTotal}`);
  for (const pd of k.pds) {
    const q = pd.quota;
    if (q.mergedInto !== null) out.push(`${pd.label}: live PD with a merged quota`);
    if (!k.quotaMerged.has(q)) {
      const nodes = pd.mem.size + pd.pio.size + pd.obj.size;
      if (q.objects('MDB') !== nodes)
        out.push(`${pd.label}: ${q.objects('MDB')} MDB slab objects for ${nodes} nodes`);
    }
  }
  // EC links and SC placement.
  for (const ec of k.ecs) {
    if (ec.partner !== null && ec.partner.rcap !== ec)
      out.push(`${ec.label}: partner ${ec.partner.label} does not point back`);
    if (ec.rcap !== null && ec.rcap.partner !== ec && ec.rcap.cont !== 9) {
      out.push(`${ec.label}: caller ${ec.rcap.label} is not waiting on it`);
    }
    if (ec.waitingOn !== null && !ec.waitingOn.waiters.includes(ec))
      out.push(`${ec.label}: not in its SM's queue`);
  }
  const seen = new Set<object>();
  for (const cpu of k.cpus) {
    for (const q of cpu.queues) {
      for (const sc of q) {
        if (seen.has(sc)) out.push(`sc${sc.id}: queued twice`);
        seen.add(sc);
        if (sc.state !== 'ready') out.push(`sc${sc.id}: in a ready queue in state ${sc.state}`);
        if (sc.cpu !== cpu.id) out.push(`sc${sc.id}: queued on the wrong CPU`);
      }
    }
    if (cpu.sc.state !== 'current' && cpu.sc.state !== 'gone')
      out.push(`cpu${cpu.id}: current SC in state ${cpu.sc.state}`);
  }
  for (const ec of k.ecs) {
    for (const sc of ec.parked) {
      if (seen.has(sc)) out.push(`sc${sc.id}: parked and queued`);
      seen.add(sc);
      if (sc.state !== 'parked') out.push(`sc${sc.id}: parked in state ${sc.state}`);
    }
  }
  return out;
}

function checkFrames(
  k: NovaKernel,
  pd: Pd,
  n: MdbNode,
  ks: number,
  ke: number,
  where: string,
  out: string[],
): void {
  const lo = n.phys;
  const hi = n.phys + 2 ** n.order;
  if (hi <= ks || lo >= ke) return;
  if (n.utcb) {
    const owner = [...k.ecs].find(
      (e) => e.pd === pd && e.utcbFrame === n.phys && e.utcbAddr === n.base * PAGE_SIZE,
    );
    if (owner === undefined) out.push(`${where}: UTCB node of no EC of this PD`);
    return;
  }
  if (n.order === 0 && lo === k.hipFrame && (n.perms & ~1) === 0) return;
  out.push(`${where}: maps kernel memory (frames ${lo.toString(16)}..${hi.toString(16)})`);
}

/** The derived tables must hold exactly the memory nodes' mappings. */
function checkTables(pd: Pd, out: string[]): void {
  if (pd.isKernel) return;
  const want = {
    host: new Map<number, string>(),
    guest: new Map<number, string>(),
    dma: new Map<number, string>(),
  };
  const add = (m: Map<number, string>, n: MdbNode, b: number, o: number) =>
    m.set(b, `${o}:${n.phys + (b - n.base)}:${n.perms}:${(n.sub & Sub.WC) !== 0}`);
  for (const n of pd.mem.values()) {
    const end = n.base + 2 ** n.order;
    if (end <= USER_PAGES) add(want.host, n, n.base, n.order);
    else if (n.base < USER_PAGES) {
      for (let b = n.base; b < USER_PAGES; ) {
        let o = 0;
        while (b % 2 ** (o + 1) === 0 && b + 2 ** (o + 1) <= USER_PAGES) o++;
        add(want.host, n, b, o);
        b += 2 ** o;
      }
    }
    if (n.sub & Sub.G) add(want.guest, n, n.base, n.order);
    if (n.sub & Sub.D) add(want.dma, n, n.base, n.order);
  }
  for (const [name, table] of [
    ['host', pd.host],
    ['guest', pd.guest],
    ['dma', pd.dma],
  ] as const) {
    const have = new Map<number, string>();
    for (const e of (table as PageTable).entries())
      have.set(e.base, `${e.order}:${e.frame}:${e.perms}:${e.wc}`);
    const w = want[name];
    if (have.size !== w.size)
      out.push(`${pd.label} ${name} table: ${have.size} entries, MDB implies ${w.size}`);
    for (const [b, v] of w)
      if (have.get(b) !== v) out.push(`${pd.label} ${name} table @${b.toString(16)}: ${have.get(b)} != ${v}`);
  }
}
