/**
 * genode-base on NOVA vs. genode-base's test kernel, same workloads in the same run (host
 * wall-clock speed; nothing here is a test):
 *
 *   cd packages/kernel-nova && npx vitest bench --run --dir bench genode
 *
 * - page faults resolved through core's pager: a component reads 256 pages of a RAM dataspace
 *   behind two nested managed dataspaces (offsets allow only 4 KiB flexpages, so every page is
 *   one fault: kernel → core's pager → region maps → mapping), then the RAM is re-attached
 *   (flush) for the next round — genode-base's own fault benchmark;
 * - attach + detach pairs of a 4 KiB dataspace through `env.rm()` (RPC to core, and on NOVA a
 *   revoke per detach), 256 per round;
 * - RPC round trips between two components (on NOVA: a portal call into another PD), 256 per
 *   round.
 *
 * Figures per second = hz × the batch in each name.
 */
import {
  boot,
  type Capability,
  type Kernel,
  Region_map_client,
  Rm_connection,
  rpc_call,
} from '@genode-ts/genode-base';
import { testKernel } from '@genode-ts/genode-base/test-kernel';
import { bench, describe } from 'vitest';
import { novaKernel } from '../src/genode/nova-kernel.js';

const PAGE = 4096;
const PAGES = 256;
const BATCH = 256;
/** JIT warm-up matters here: the first rounds on NOVA are up to ten times slower. */
const OPTIONS = { warmupTime: 1000, warmupIterations: 50, time: 2000 };

const kernels: readonly [string, () => Kernel][] = [
  ['nova', () => novaKernel()],
  ['test kernel', () => testKernel()],
];

function faultRounds(kernel: Kernel): () => void {
  const system = boot({ kernel, ramBytes: 32 << 20 });
  let done = 0;
  let sub: Region_map_client | undefined;
  let ram: Capability | undefined;
  system.start({
    name: 'bench',
    ram: 8 << 20,
    caps: 500,
    component: {
      *construct(env) {
        const top = new Region_map_client(env, new Rm_connection(env).create(4 << 20));
        sub = new Region_map_client(env, new Rm_connection(env).create(2 << 20));
        ram = env.ram().alloc(PAGES * PAGE);
        sub.attach(ram, { use_at: true, at: 0x1000, writeable: true });
        top.attach(sub.dataspace(), { use_at: true, at: 0x2000, writeable: true });
        const L = env.rm().attach(top.dataspace(), { writeable: true });
        const base = (L.ok ? L.range.start : 0) + 0x3000;
        for (;;) {
          for (let i = 0; i < PAGES; i++) yield* env.rm().local.read8(base + i * PAGE);
          done++;
          yield* env.kernel.sleep(1);
        }
      },
    },
  });
  system.run({ until: () => done >= 1 });
  return () => {
    sub!.detach(0x1000);
    sub!.attach(ram!, { use_at: true, at: 0x1000, writeable: true });
    const target = done + 1;
    system.run({ until: () => done >= target });
  };
}

function attachDetachRounds(kernel: Kernel): () => void {
  const system = boot({ kernel, ramBytes: 32 << 20 });
  let done = 0;
  system.start({
    name: 'bench',
    ram: 8 << 20,
    caps: 500,
    component: {
      *construct(env) {
        const ds = env.ram().alloc(PAGE);
        for (;;) {
          for (let i = 0; i < BATCH; i++) {
            const r = env.rm().attach(ds, { writeable: true });
            if (r.ok) env.rm().detach(r.range.start);
          }
          done++;
          yield* env.kernel.sleep(1);
        }
      },
    },
  });
  system.run({ until: () => done >= 1 });
  return () => {
    const target = done + 1;
    system.run({ until: () => done >= target });
  };
}

function rpcRounds(kernel: Kernel): () => void {
  const system = boot({ kernel, ramBytes: 32 << 20 });
  let done = 0;
  let echo: Capability | undefined;
  system.start({
    name: 'server',
    ram: 2 << 20,
    caps: 100,
    component: {
      construct(env) {
        echo = env.ep().manage({ ping: (x: number) => x + 1 }, ['ping']);
      },
    },
  });
  system.run({ until: () => echo !== undefined });
  const client = system.start({
    name: 'client',
    ram: 2 << 20,
    caps: 100,
    component: {
      *construct(env) {
        for (;;) {
          for (let i = 0; i < BATCH; i++) {
            if (rpc_call<number>(env, echo!, 'ping', i) !== i + 1) throw new Error('wrong reply');
          }
          done++;
          yield* env.kernel.sleep(1);
        }
      },
    },
  });
  // the client must hold the capability (NOVA: a selector in its PD); init hands it over
  system.kernel.grantCapabilities?.(client.pd().native_pd()!, [echo!]);
  system.run({ until: () => done >= 1 });
  return () => {
    const target = done + 1;
    system.run({ until: () => done >= target });
  };
}

describe(`page faults through core's pager (round of ${PAGES}, 4 KiB each)`, () => {
  for (const [name, make] of kernels) bench(`${name}: ${PAGES} faults`, faultRounds(make()), OPTIONS);
});

describe(`attach + detach of a 4 KiB dataspace through env.rm() (round of ${BATCH})`, () => {
  for (const [name, make] of kernels) bench(`${name}: ${BATCH} pairs`, attachDetachRounds(make()), OPTIONS);
});

describe(`RPC round trips between two components (round of ${BATCH})`, () => {
  for (const [name, make] of kernels) bench(`${name}: ${BATCH} calls`, rpcRounds(make()), OPTIONS);
});
