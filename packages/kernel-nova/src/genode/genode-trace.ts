import type { AccessKind, RegionMapWalkStep } from '@genode-ts/genode-base';

/**
 * One record of the genode-base backend's trace: the steps Genode-on-NOVA takes for a guest's
 * nested page fault, in the order they happen (DESIGN.md, "the seed's chain"). Times are the
 * virtual clock in µs.
 */
export type GenodeTraceRecord =
  /** A vCPU exit delivered as NOVA's implicit portal call at evt + reason to the VMM's handler. */
  | {
      readonly kind: 'vcpu-exit';
      readonly time: number;
      readonly vcpu: number;
      readonly reason: number;
      readonly qual0: number;
      readonly qual1: number;
      /** Selector of the exit portal in the vCPU's PD (evt + reason). */
      readonly portal: number;
      readonly pid: number;
      /** The handler's local EC (the entrypoint's RPC EC). */
      readonly handler: string;
      readonly mtd: number;
    }
  /** A page fault (event 0x0e) of a host EC, arriving at core's pager through its portal. */
  | {
      readonly kind: 'page-fault';
      readonly time: number;
      readonly pd: string;
      readonly thread: string;
      readonly ec: string;
      readonly addr: number;
      readonly type: AccessKind;
      readonly ip: number;
      /** Core's pager EC and the portal id (the pager object). */
      readonly pager: string;
      readonly pid: number;
    }
  /** Core's region-map lookup for that fault (genode-base reports the maps it walked). */
  | { readonly kind: 'rm-walk'; readonly time: number; readonly steps: readonly RegionMapWalkStep[] }
  /** A mapping installed by delegation (`misc delegate`): from the kernel space (H) or a PD. */
  | {
      readonly kind: 'map';
      readonly time: number;
      readonly by: string;
      readonly from: string;
      readonly pd: string;
      readonly virt: number;
      readonly phys: number;
      readonly log2: number;
      readonly rights: string;
      /** Into the guest space (G flag). */
      readonly guest: boolean;
    }
  /** The pager's reply: the faulter resumes, or blocks on its pause semaphore. */
  | {
      readonly kind: 'pager-reply';
      readonly time: number;
      readonly thread: string;
      readonly result: 'resume' | 'block' | 'stop';
    }
  /** The VMM handler's reply to a vCPU exit: state per MTD, G items, resume or pause. */
  | {
      readonly kind: 'exit-reply';
      readonly time: number;
      readonly vcpu: number;
      readonly mtd: number;
      readonly items: readonly {
        readonly virt: number;
        readonly gpa: number;
        readonly log2: number;
        readonly rights: string;
      }[];
      readonly resume: boolean;
    };

/** Receiver of {@link GenodeTraceRecord}s (pass as `trace` to `novaKernel`). */
export interface GenodeTracer {
  record(r: GenodeTraceRecord): void;
}

function hex(v: number): string {
  return `0x${v.toString(16)}`;
}

const EXIT_NAMES: Readonly<Record<number, string>> = {
  114: 'CPUID',
  120: 'HLT',
  123: 'I/O',
  252: 'NPT fault',
  253: 'invalid state',
  254: 'STARTUP',
  255: 'RECALL',
};

function time(t: number): string {
  return `[${t.toFixed(3)}]`;
}

/** Render one record as a line. */
export function formatGenodeTrace(r: GenodeTraceRecord): string {
  const t = time(r.time);
  switch (r.kind) {
    case 'vcpu-exit': {
      const name = EXIT_NAMES[r.reason] ?? 'exit';
      const what =
        r.reason === 0xfc
          ? `guest access to GPA ${hex(r.qual1)} not in the NPT: exit ${hex(r.reason)} (${name}, error ${hex(r.qual0)})`
          : `exit ${hex(r.reason)} (${name})`;
      return `${t} vcpu${r.vcpu} ${what}\n${t} vcpu${r.vcpu} portal call evt+${hex(r.reason)} (selector ${hex(r.portal)}, PID ${hex(r.pid)}, MTD ${hex(r.mtd)}) -> ${r.handler}`;
    }
    case 'page-fault':
      return `${t} page fault (event 0x0e) by ${r.ec} [pd '${r.pd}' thread '${r.thread}'] ${r.type.toUpperCase()} at ${hex(r.addr)} ip=${hex(r.ip)} -> ${r.pager} (core's pager; PID ${r.pid} = the pager object)`;
    case 'rm-walk':
      return `${t} region-map walk: ${r.steps
        .map((s) =>
          s.region === undefined
            ? `'${s.map}' @${hex(s.addr)}: no region`
            : `'${s.map}' @${hex(s.addr)} in [${hex(s.region.base)}, +${hex(s.region.size)}) offset ${hex(s.region.offset)} -> ${s.dataspace}`,
        )
        .join(' => ')}`;
    case 'map':
      return `${t} kernel mapping: ${r.by} misc delegate ${r.from} [${hex(r.phys)}, 2^${r.log2}] -> pd '${r.pd}' ${r.guest ? 'GPA' : 'at'} ${hex(r.virt)} ${r.rights}${r.guest ? ' (G)' : ''}`;
    case 'pager-reply':
      return `${t} pager reply: ${r.thread} ${r.result === 'resume' ? 'resumes (retries the access)' : r.result === 'block' ? 'blocks on its pause semaphore' : 'stays stopped'}`;
    case 'exit-reply': {
      const items = r.items
        .map((i) => ` G item VMM ${hex(i.virt)} -> GPA ${hex(i.gpa)} (2^${i.log2}, ${i.rights})`)
        .join(',');
      return `${t} vcpu${r.vcpu} handler replies: MTD ${hex(r.mtd)}${items === '' ? ', no items' : `,${items}`}; ${r.resume ? 'vCPU resumes' : 'vCPU paused (reply-and-block on its SM)'}`;
    }
  }
}

/**
 * A tracer keeping every record in memory. `lines()` renders them; `nptChains()` picks the
 * records of each guest NPT fault, from the exit to the reply that resumes the vCPU (what the
 * demo's `--trace npt` prints).
 */
export class GenodeTraceLog implements GenodeTracer {
  readonly records: GenodeTraceRecord[] = [];

  record(r: GenodeTraceRecord): void {
    this.records.push(r);
  }

  /** Every record as text (one record may span two lines). */
  lines(): string[] {
    return this.records.flatMap((r) => formatGenodeTrace(r).split('\n'));
  }

  /** The records of every NPT-fault chain, one array per exit (see {@link nptChains}). */
  nptChains(): GenodeTraceRecord[][] {
    return nptChains(this.records);
  }
}

/**
 * Group records into NPT-fault chains: each starts at a `vcpu-exit` with reason 0xfc and ends at
 * that vCPU's next `exit-reply`; records in between (page faults, walks, mappings) belong to it.
 */
export function nptChains(records: readonly GenodeTraceRecord[]): GenodeTraceRecord[][] {
  const out: GenodeTraceRecord[][] = [];
  let cur: GenodeTraceRecord[] | null = null;
  let vcpu = -1;
  for (const r of records) {
    if (cur === null) {
      if (r.kind === 'vcpu-exit' && r.reason === 0xfc) {
        cur = [r];
        vcpu = r.vcpu;
      }
      continue;
    }
    cur.push(r);
    if (r.kind === 'exit-reply' && r.vcpu === vcpu) {
      out.push(cur);
      cur = null;
    }
  }
  return out;
}
