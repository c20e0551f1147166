import { describe, expect, it } from 'vitest';
import { testKernel } from '../test-kernel/test-kernel.js';
import { boot } from './system.js';

describe('boot and start', () => {
  it('starts a component that logs and exits', () => {
    const system = boot({ kernel: testKernel() });
    const c = system.start({
      name: 'hello',
      ram: 1 << 20,
      caps: 50,
      component: {
        *construct(env) {
          env.log('Hello');
          const ds = env.ram().alloc(4096);
          const r = env.rm().attach(ds, { writeable: true });
          if (!r.ok) throw new Error(r.error);
          yield* env.rm().local.write32(r.range.start, 0x1234);
          const v = yield* env.rm().local.read32(r.range.start);
          env.log('value ', v);
          env.parent().exit(0);
        },
      },
    });
    const res = system.run({ until: () => c.exit_value() !== undefined });
    expect(res.reason).toBe('until');
    expect(system.log).toContain('[init -> hello] Hello');
    expect(system.log).toContain('[init -> hello] value 4660');
    expect(c.exit_value()).toBe(0);
  });
});
