import { describe, expect, it } from 'vitest';
import { Cap_quota, Ram_quota } from '../core/pd-session-component.js';
import { GenodeError } from '../errors.js';
import { isValidCapability } from '../kernel/capability.js';
import { run_component } from '../test-kernel/harness.js';
import { testKernel } from '../test-kernel/test-kernel.js';
import { Child, type Child_policy, Parent_service, type Service } from './child.js';
import { Pd_connection, Rm_connection } from './connections.js';
import type { Env } from './env.js';
import { boot } from './system.js';

function policy(
  env: Env,
  name: string,
  ram: number,
  caps: number,
  extra: Partial<Child_policy> = {},
): Child_policy {
  const services = new Map<string, Service>(
    ['PD', 'CPU', 'LOG', 'ROM', 'RM'].map((n) => [n, new Parent_service(env, n)]),
  );
  return {
    name: () => name,
    binary_name: () => name,
    ref_pd: () => env.pd(),
    ref_pd_cap: () => env.pd_session_cap(),
    init: (pd, cap) => {
      pd.ref_account(env.pd_session_cap());
      env.pd().transfer_quota(cap, Ram_quota(ram));
      env.pd().transfer_quota(cap, Cap_quota(caps));
    },
    resolve_session_request: (service) => {
      const s = services.get(service);
      if (s === undefined) throw new GenodeError('Service_denied', service);
      return s;
    },
    ...extra,
  };
}

describe('Child and the parent interface', () => {
  it('routes sessions through the parent chain and leaks no quota when the child goes', () => {
    const child_log: string[] = [];
    const { system, c } = run_component(
      function* (env) {
        const before = [env.pd().avail_ram(), env.pd().avail_caps()];
        const child = new Child(env, policy(env, 'kid', 1 << 20, 30));
        // let the child run its construct
        for (let i = 0; i < 20; i++) yield* env.kernel.yieldCpu();
        expect(child.exit_value()).toBe(3);
        child.destroy();
        expect([env.pd().avail_ram(), env.pd().avail_caps()]).toEqual(before);
      },
      {
        roms: {
          kid: {
            component: {
              construct(env: Env) {
                const rm = new Rm_connection(env);
                expect(isValidCapability(rm.create(1 << 20))).toBe(true);
                rm.close();
                const pd = new Pd_connection(env);
                pd.close();
                try {
                  env.session('NOPE', '', { ram: 4096, caps: 1 });
                } catch (e) {
                  child_log.push((e as GenodeError).code);
                }
                const avail = env.pd().avail_ram();
                try {
                  env.session('RM', '', { ram: avail * 2, caps: 1 });
                } catch (e) {
                  child_log.push((e as GenodeError).code);
                }
                child_log.push(String(env.pd().avail_ram() === avail));
                env.parent().exit(3);
              },
            },
          },
        },
      },
    );
    expect(c.exit_value()).toBe(0);
    expect(child_log).toEqual(['Service_denied', 'Insufficient_ram_quota', 'true']);
    expect(system.log).toContain('[init -> test] child "kid" exited with exit value 3');
  });

  it('conserves all RAM and capabilities of the machine across start and destroy', () => {
    const system = boot({ kernel: testKernel() });
    const limit = [system.core.core_pd.ram_guard.limit, system.core.core_pd.cap_guard.limit];
    const c = system.start({
      name: 'a',
      ram: 2 << 20,
      caps: 50,
      component: {
        *construct(env) {
          const pd = new Pd_connection(env);
          pd.ref_account(env.pd_session_cap());
          env.pd().transfer_quota(pd.cap(), Ram_quota(64 * 1024));
          pd.alloc(8192);
          new Rm_connection(env).create(4096);
          env.ram().alloc(100_000);
          yield* env.kernel.yieldCpu();
          env.parent().exit(0);
        },
      },
    });
    system.run({ until: () => c.exit_value() !== undefined });
    expect(system.core.core_pd.ram_guard.limit).toBeLessThan(limit[0]!);
    c.destroy();
    expect([system.core.core_pd.ram_guard.limit, system.core.core_pd.cap_guard.limit]).toEqual(limit);
    expect(system.core.core_pd.ram_guard.used).toBe(0);
  });

  it('answers resource requests through the policy', () => {
    const { c } = run_component(
      function* (env) {
        let asked = '';
        const child = new Child(
          env,
          policy(env, 'hungry', 256 * 1024, 20, {
            resource_request: (args) => {
              asked = args;
              const n = Number(/ram_quota=(\d+)/.exec(args)?.[1] ?? 0);
              env.pd().transfer_quota(child.pd_cap(), Ram_quota(n));
            },
          }),
        );
        for (let i = 0; i < 20; i++) yield* env.kernel.yieldCpu();
        expect(child.exit_value()).toBe(0);
        expect(asked).toBe(`ram_quota=${1024 * 1024 + 4096}`);
      },
      {
        roms: {
          hungry: {
            component: {
              construct(env: Env) {
                const r = env.ram().try_alloc(1024 * 1024);
                env.parent().exit(r.ok ? 0 : 1);
              },
            },
          },
        },
      },
    );
    expect(c.exit_value()).toBe(0);
  });
});
