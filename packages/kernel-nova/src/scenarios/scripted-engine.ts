/**
 * A scripted stand-in for guest execution (a test double, not a processor): each vCPU follows
 * a list of steps — guest-physical accesses through the real nested page table of its PD,
 * port accesses checked against the guest I/O space, and explicit exits. It caches NPT
 * translations like a TLB, so a missing invalidation from the kernel shows up as a stale hit.
 * Real guest code runs on @genode-ts/x86-core in the follow-up.
 */

import { SvmExit } from '@genode-ts/x86-core';
import { PAGE_SIZE } from '../constants.js';
import type { Translation } from '../page-table.js';
import type { VcpuBackend, VcpuEngine, VcpuExit, VcpuPort } from '../vcpu-engine.js';
import { copyVcpuState, VcpuState } from '../vcpu-state.js';

/** One step of a vCPU script. */
export type Step =
  /** Guest-physical access: NPT fault exit (0xfc) while unmapped; reads are recorded. */
  | { readonly kind: 'access'; readonly gpa: number; readonly write?: number; readonly ticks?: number }
  /** Port access: I/O exit (0x7b) unless the port passes through; the VMM skips it. */
  | { readonly kind: 'io'; readonly port: number; readonly ticks?: number }
  /** An instruction that always exits (HLT 0x78, CPUID 0x72, ...). */
  | { readonly kind: 'exit'; readonly reason: number; readonly instLen?: number; readonly ticks?: number }
  /** Guest computation of `ticks` without exits (split by the kernel's slices). */
  | { readonly kind: 'run'; readonly ticks: number };

/** What a scripted vCPU did, for assertions. */
export interface ScriptLog {
  readonly reads: [number, number][];
  readonly passedIo: number[];
  /** NPT translations served from the engine's cache. */
  tlbHits: number;
  /** Exits in order: [reason, tick]. */
  readonly exits: [number, number][];
}

/** A scripted vCPU backend. */
export class ScriptedVcpu implements VcpuBackend {
  readonly state: VcpuState = new VcpuState();
  readonly log: ScriptLog = { reads: [], passedIo: [], tlbHits: 0, exits: [] };
  private pc = 0;
  private runLeft = -1;
  private readonly tlb = new Map<number, Translation>();
  private readonly port: VcpuPort;
  private readonly script: Step[];

  constructor(port: VcpuPort, script: Step[]) {
    this.port = port;
    this.script = script;
  }

  private exit(reason: number, ticks: number, qual0 = 0, qual1 = 0, instLen = 0): VcpuExit {
    this.log.exits.push([reason, this.port.now() + ticks]);
    return { reason, ticks, qual0, qual1, instLen };
  }

  run(maxTicks: number): VcpuExit {
    let used = 0;
    while (this.pc < this.script.length) {
      const st = this.script[this.pc]!;
      const t = 'ticks' in st && st.ticks !== undefined ? st.ticks : 0;
      switch (st.kind) {
        case 'run': {
          if (this.runLeft < 0) this.runLeft = st.ticks;
          const d = Math.min(this.runLeft, maxTicks - used);
          used += d;
          this.runLeft -= d;
          if (this.runLeft > 0) return { reason: null, ticks: used, qual0: 0, qual1: 0, instLen: 0 };
          this.runLeft = -1;
          this.pc++;
          break;
        }
        case 'access': {
          const page = Math.floor(st.gpa / PAGE_SIZE);
          let tr = this.tlb.get(page);
          if (tr !== undefined) this.log.tlbHits++;
          else {
            tr = this.port.guest.translate(page);
            if (tr === undefined || (st.write !== undefined && (tr.perms & 2) === 0)) {
              // SVM nested page fault error code: bit0 present, bit1 write, bit2 user.
              const err = (tr !== undefined ? 1 : 0) | (st.write !== undefined ? 2 : 0) | 4;
              return this.exit(SvmExit.NPT_FAULT, used + t, err, st.gpa);
            }
            this.tlb.set(page, tr);
          }
          const phys = tr.frame * PAGE_SIZE + (st.gpa % PAGE_SIZE);
          if (st.write !== undefined) this.port.guest.memory.write(phys, 4, st.write);
          else this.log.reads.push([st.gpa, this.port.guest.memory.read(phys, 4)]);
          used += t;
          this.pc++;
          break;
        }
        case 'io': {
          this.pc++;
          if (this.port.guest.ioPassThrough(st.port)) {
            this.log.passedIo.push(st.port);
            used += t;
            break;
          }
          // SVM IOIO exitinfo1: port in bits 31:16, size 8 bit (bit 4).
          return this.exit(SvmExit.IOIO, used + t, st.port * 0x10000 + 0x10, 0, 1);
        }
        case 'exit':
          this.pc++;
          return this.exit(st.reason, used + t, 0, 0, st.instLen ?? 1);
      }
      if (used >= maxTicks) return { reason: null, ticks: used, qual0: 0, qual1: 0, instLen: 0 };
    }
    // End of script: the guest idles.
    return { reason: null, ticks: Math.max(used, maxTicks), qual0: 0, qual1: 0, instLen: 0 };
  }

  load(into: VcpuState, mtd: number): void {
    copyVcpuState(into, this.state, mtd);
  }

  store(from: VcpuState, mtd: number): void {
    copyVcpuState(this.state, from, mtd);
  }

  invalidate(gpaPage: number, pages: number): void {
    for (const p of [...this.tlb.keys()]) if (p >= gpaPage && p < gpaPage + pages) this.tlb.delete(p);
  }
}

/** An engine handing out scripted vCPUs in creation order. */
export class ScriptedEngine implements VcpuEngine {
  readonly vcpus: ScriptedVcpu[] = [];
  private readonly scripts: Step[][];

  constructor(scripts: Step[][]) {
    this.scripts = scripts;
  }

  attach(port: VcpuPort): VcpuBackend {
    const v = new ScriptedVcpu(port, this.scripts[this.vcpus.length] ?? []);
    this.vcpus.push(v);
    return v;
  }
}
