import { Cpu, PhysicalMemory, SvmExit, SvmVcpu } from '@genode-ts/x86-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeIoio, encodeIoio } from './ioio.js';

/** Runs `code` at 0x1000 in 32-bit flat protected mode on x86-core's SVM model; returns the exits. */
function ioExits(code: number[], regs: { eax?: number; edx?: number; ecx?: number } = {}) {
  const memory = new PhysicalMemory({ size: 1 << 20 });
  memory.write(0x1000, Uint8Array.from(code));
  const vcpu = new SvmVcpu(new Cpu({ memory }));
  const s = vcpu.state();
  const flat = (attr: number) => ({ sel: 0x8, attr, limit: 0xffffffff, base: 0 });
  Object.assign(s, {
    cr0: 0x11,
    eip: 0x1000,
    esp: 0x8000,
    eax: regs.eax ?? 0,
    edx: regs.edx ?? 0,
    ecx: regs.ecx ?? 0,
    esi: 0x2000,
    edi: 0x3000,
    cs: flat(0xc9b),
    ds: flat(0xc93),
    es: flat(0xc93),
    ss: flat(0xc93),
  });
  vcpu.setState(s);
  const out = [];
  for (let i = 0; i < code.length; i++) {
    const x = vcpu.run(10);
    if (x.code !== SvmExit.IOIO) break;
    const st = vcpu.state();
    out.push({ access: decodeIoio(x.info1, x.info2, st.eip, x.instLen), eip: st.eip, instLen: x.instLen });
    st.eip += x.instLen;
    vcpu.setState(st);
  }
  return out;
}

describe('IOIO decoding (SVM EXITINFO1)', () => {
  it('decodes what x86-core’s SVM model reports for IN, OUT, INS, OUTS and REP', () => {
    const exits = ioExits(
      [
        0xee, // out dx, al
        0x66,
        0xe5,
        0x71, // in ax, 0x71
        0xed, // in eax, dx
        0x6e, // outsb (ds:esi)
        0xf3,
        0x66,
        0x6d, // rep insw (es:edi)
        0x26,
        0x6f, // es outsd
      ],
      { edx: 0x3f8, ecx: 2 },
    );
    expect(exits.map((e) => e.access)).toEqual([
      {
        port: 0x3f8,
        size: 1,
        input: false,
        string: false,
        rep: false,
        addressSize: 32,
        segment: 0,
        instLen: 1,
      },
      {
        port: 0x71,
        size: 2,
        input: true,
        string: false,
        rep: false,
        addressSize: 32,
        segment: 0,
        instLen: 3,
      },
      {
        port: 0x3f8,
        size: 4,
        input: true,
        string: false,
        rep: false,
        addressSize: 32,
        segment: 0,
        instLen: 1,
      },
      {
        port: 0x3f8,
        size: 1,
        input: false,
        string: true,
        rep: false,
        addressSize: 32,
        segment: 3,
        instLen: 1,
      },
      // INS always writes ES:EDI; the segment field is only meaningful for OUTS (not asserted here)
      {
        port: 0x3f8,
        size: 2,
        input: true,
        string: true,
        rep: true,
        addressSize: 32,
        segment: expect.any(Number),
        instLen: 3,
      },
      {
        port: 0x3f8,
        size: 4,
        input: false,
        string: true,
        rep: false,
        addressSize: 32,
        segment: 0,
        instLen: 2,
      },
    ]);
  });

  it('round-trips every field and refuses words without exactly one size bit', () => {
    fc.assert(
      fc.property(
        fc.record({
          port: fc.integer({ min: 0, max: 0xffff }),
          size: fc.constantFrom(1 as const, 2 as const, 4 as const),
          input: fc.boolean(),
          string: fc.boolean(),
          rep: fc.boolean(),
          addressSize: fc.constantFrom(16 as const, 32 as const, 64 as const),
          segment: fc.integer({ min: 0, max: 5 }),
          len: fc.integer({ min: 1, max: 15 }),
        }),
        (a) => {
          const { len, ...fields } = a;
          expect(decodeIoio(encodeIoio(fields), 0x1000 + len, 0x1000, 99)).toEqual({
            ...fields,
            instLen: len,
          });
        },
      ),
      { seed: 6, numRuns: 500 },
    );
    expect(decodeIoio(0x3f8_0000, 0x1001, 0x1000, 1)).toBeUndefined();
    expect(decodeIoio(0x3f8_0030, 0x1001, 0x1000, 1)).toBeUndefined();
    // an implausible next RIP falls back to the kernel's instruction length
    expect(decodeIoio(0x3f8_0010, 0, 0x1000, 2)?.instLen).toBe(2);
  });
});
