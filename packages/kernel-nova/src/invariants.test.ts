import { describe, expect, it } from 'vitest';
import { memCrd, objCrd } from './crd.js';
import { checkInvariants } from './invariants.js';
import { boot, delegateObj, mapPhys, ok, PD } from './scenarios/harness.js';

function machine() {
  const k = boot(function* (sys) {
    ok(yield* sys.createSm(0x40, PD, 0), 'sm');
    ok(yield* delegateObj(sys, PD, PD, 0x40, 0x41, 0x1), 'derived');
    ok(yield* mapPhys(sys, PD, 0x100, 0x100, 0), 'page');
  });
  k.run();
  return k;
}

describe('checkInvariants', () => {
  it('finds nothing in a consistent machine', () => {
    expect(checkInvariants(machine())).toEqual([]);
  });

  it('detects rights above the parent, stale page tables, lost quota and broken capability counts', () => {
    let k = machine();
    k.objCap(k.root, 0x41)!.perms = 0x3 | 0x4;
    expect(checkInvariants(k).join('\n')).toContain('exceed parent');

    k = machine();
    k.root.host.unmap(0x100, 0);
    expect(checkInvariants(k).join('\n')).toContain('host table');

    k = machine();
    k.root.quota.limit += 1;
    expect(checkInvariants(k).join('\n')).toContain('quota: limits add up');

    k = machine();
    k.objCap(k.root, 0x40)!.obj!.capRefs++;
    expect(checkInvariants(k).join('\n')).toContain('capRefs');

    k = machine();
    k.objCap(k.root, 0x40)!.obj!.destroyed = true;
    expect(checkInvariants(k).join('\n')).toContain('destroyed SM');
    void memCrd;
    void objCrd;
  });

  it('detects a PD mapping kernel memory', () => {
    const k = machine();
    const n = k.root.mem.at(0x100)!;
    (n as { phys: number }).phys = k.memory.kernelStart + 3;
    expect(checkInvariants(k).join('\n')).toContain('maps kernel memory');
  });
});
