import { Cpu, PhysicalMemory, SvmVcpu } from '@genode-ts/x86-core';
import { describe, expect, it } from 'vitest';
import { Cpuid_model } from './cpuid-model.js';

/** CPUID(leaf) as x86-core executes it without a VMM (the instruction, not intercepted). */
function hardware(leaf: number, apicId: number): number[] {
  const memory = new PhysicalMemory({ size: 1 << 20 });
  memory.write(0x1000, Uint8Array.of(0x0f, 0xa2)); // cpuid
  const vcpu = new SvmVcpu(new Cpu({ memory, apicId }), { intercepts: { cpuid: false } });
  const s = vcpu.state();
  const flat = (attr: number) => ({ sel: 0x8, attr, limit: 0xffffffff, base: 0 });
  Object.assign(s, {
    cr0: 0x11,
    eip: 0x1000,
    eax: leaf,
    ecx: 0,
    cs: flat(0xc9b),
    ds: flat(0xc93),
    ss: flat(0xc93),
  });
  vcpu.setState(s);
  vcpu.run(1);
  const t = vcpu.state();
  return [t.eax, t.ebx, t.ecx, t.edx];
}

describe('Cpuid_model', () => {
  it('answers exactly what the processor answers bare, for every leaf class', () => {
    const m = new Cpuid_model();
    for (const leaf of [
      0, 1, 2, 7, 0x40000000, 0x80000000, 0x80000001, 0x80000002, 0x80000003, 0x80000004, 0x80000005,
    ]) {
      for (const apic of [0, 3]) {
        const r = m.query(leaf, apic);
        expect([r.eax, r.ebx, r.ecx, r.edx], `leaf 0x${leaf.toString(16)}`).toEqual(hardware(leaf, apic));
      }
    }
  });

  it('follows a configured identity', () => {
    const m = new Cpuid_model({ vendor: 'AuthenticAMD', family: 15, model: 0x12, stepping: 1 });
    const v = m.query(0, 0);
    expect(
      String.fromCharCode(
        ...[v.ebx, v.edx, v.ecx].flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]),
      ),
    ).toBe('AuthenticAMD');
    expect(m.query(1, 0).eax).toBe(0x00010f21);
  });
});
