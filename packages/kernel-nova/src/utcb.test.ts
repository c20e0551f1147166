import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UTCB_WORDS } from './constants.js';
import { memCrd, objCrd } from './crd.js';
import { MTD_ALL, Mtd } from './mtd.js';
import { Regs } from './regs.js';
import { ItemKind } from './typed-item.js';
import { segmentOffset, UTCB_FPU, Utcb, UtcbField } from './utcb.js';
import { copyVcpuState, FPU_IMAGE_BYTES, VcpuState } from './vcpu-state.js';

function page(): Utcb {
  return new Utcb(new DataView(new ArrayBuffer(3 * 4096)), 4096);
}

describe('UTCB layout (spec/nova.md §4.1, §5.2, x86-64)', () => {
  it('header words, data area and typed items from the end of the page', () => {
    const u = page();
    u.setWords([1, 2, 3], 2);
    u.xlt = objCrd(0x100, 4);
    u.del = memCrd(0x200, 8, 3);
    u.tls = 0xabc;
    expect(u.view.getUint16(u.base, true)).toBe(3);
    expect(u.view.getUint16(u.base + 2, true)).toBe(2);
    expect(u.word(0x08)).toBe(3 | (0x1f << 2) | (4 << 7) | (0x100 * 4096));
    expect(u.word(0x10)).toBe(1 | (3 << 2) | (8 << 7) | (0x200 * 4096));
    expect(u.word(0x18)).toBe(0xabc);
    expect(u.word(0x20)).toBe(1); // mr[0] is the first word of the data area
    expect(u.word(0x30)).toBe(3);
    u.setItem(0, objCrd(5, 0, 3), { kind: ItemKind.DELEGATE, hotspot: 7 });
    u.setItem(1, memCrd(9, 1, 1), { kind: ItemKind.TRANSLATE, g: true });
    expect(u.word(4096 - 16)).toBe(3 | (3 << 2) | (5 * 4096));
    expect(u.word(4096 - 8)).toBe(7 * 4096 + 1);
    expect(u.word(4096 - 32)).toBe(1 | (1 << 2) | (1 << 7) | (9 * 4096));
    expect(u.word(4096 - 24)).toBe(0x200);
    expect(u.item(0).crd).toEqual(objCrd(5, 0, 3));
  });

  it('caps U at 508 and T at 254 as the kernel reads them', () => {
    const u = page();
    u.setMsg(0xffff, 0xffff);
    expect(u.u).toBe(UTCB_WORDS);
    expect(u.t).toBe(254);
  });

  it('places the architectural fields at the G-kernel offsets', () => {
    expect(UtcbField.mtd[0]).toBe(0x20);
    expect(UtcbField.rip[0]).toBe(0x30);
    expect(UtcbField.rax[0]).toBe(0x50);
    expect(UtcbField.rsp[0]).toBe(0x70);
    expect(UtcbField.qual0[0]).toBe(0xd0);
    expect(UtcbField.qual1[0]).toBe(0xd8);
    expect(UtcbField.ctrl0).toEqual([0xe0, 4]);
    expect(UtcbField.efer[0]).toBe(0x140);
    expect(segmentOffset('es')).toBe(0x198);
    expect(segmentOffset('cs')).toBe(0x1a8);
    expect(segmentOffset('idtr')).toBe(0x228);
    expect(UtcbField.tscVal[0]).toBe(0x238);
    expect(UtcbField.exitReason[0]).toBe(0x250);
  });

  it('exception messages carry exactly the MTD-selected registers; replies mask RFLAGS', () => {
    const u = page();
    const r = new Regs();
    Object.assign(r, {
      rax: 1,
      rcx: 2,
      rbp: 3,
      rsi: 4,
      rdi: 5,
      r8: 8,
      r15: 15,
      rsp: 0x100,
      rip: 0x400000,
      rflags: 0x246,
      err: 6,
      cr2: 0xdead000,
    });
    u.setWord(UtcbField.rax[0], 0x77);
    u.loadExc(r, Mtd.EIP | Mtd.ESP | Mtd.QUAL);
    expect(u.mtd).toBe(Mtd.EIP | Mtd.ESP | Mtd.QUAL);
    expect([u.rip, u.rsp, u.qual0, u.qual1]).toEqual([0x400000, 0x100, 6, 0xdead000]);
    expect(u.get('rax')).toBe(0x77); // not selected: untouched
    expect([u.u, u.t]).toEqual([UTCB_WORDS, 0]);
    u.set('rflags', 0x3000 | 0x20000 | 0x10000 | 0x80000 | 0x100000 | 0x1);
    u.set('rax', 42);
    u.mtd = Mtd.EFL | Mtd.ACDB;
    u.saveExc(r);
    expect(r.rflags).toBe(0x201);
    expect(r.rax).toBe(42);
    expect(r.rip).toBe(0x400000);
  });

  it('vCPU state survives a round trip through the UTCB for every MTD subset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x7ffffff }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (mtd, v) => {
          const s = new VcpuState();
          for (const k of Object.keys(s) as (keyof VcpuState)[]) {
            const cur = s[k];
            if (typeof cur === 'number') (s as unknown as Record<string, number>)[k] = v;
            else
              (s as unknown as Record<string, unknown>)[k] = {
                sel: v & 0xffff,
                ar: v & 0x1fff,
                limit: v,
                base: v,
              };
          }
          const u = page();
          u.loadVcpu(s, mtd & ~Mtd.CTRL, 0x78);
          expect(u.exitReason).toBe(0x78);
          const back = new VcpuState();
          u.saveVcpu(back, mtd & ~(Mtd.QUAL | Mtd.CTRL | Mtd.TSC));
          if (mtd & Mtd.EIP) expect(back.rip).toBe(v);
          if (mtd & Mtd.CSSS) expect(back.cs).toEqual({ sel: v & 0xffff, ar: v & 0x1fff, limit: v, base: v });
          if (mtd & Mtd.R8_R15) expect(back.r15).toBe(v);
          if (!(mtd & Mtd.ACDB)) expect(back.rax).toBe(0);
        },
      ),
    );
  });

  it('copies a message: items word and exactly U words', () => {
    const a = page();
    const b = new Utcb(a.view, 8192);
    a.setWords([5, 6], 1);
    a.setMr(2, 7);
    b.setMr(2, 99);
    b.copyMessageFrom(a);
    expect([b.u, b.t, b.mr(0), b.mr(1), b.mr(2)]).toEqual([2, 1, 5, 6, 99]);
  });
});

describe('the FPU area of a vCPU message (MTD FPU, spec/nova.md §5.2)', () => {
  it('sits at page offset 0x258 = data-area offset 0x238, right after exit_reason', () => {
    expect(UTCB_FPU).toBe(0x20 + 0x238);
    expect(UTCB_FPU).toBe(UtcbField.exitReason[0] + 8);
    // 512 bytes fit below the typed items of a reply (Genode's area is 2560 bytes long)
    expect(UTCB_FPU + 2560).toBeLessThanOrEqual(4096);
  });

  it('loadVcpu/saveVcpu move the 512-byte image only with the FPU bit', () => {
    const u = page();
    const s = new VcpuState();
    for (let i = 0; i < FPU_IMAGE_BYTES; i++) s.fpu[i] = (i * 7 + 3) & 0xff;
    const raw = new Uint8Array(u.view.buffer, u.base, 4096);
    raw.fill(0xee);
    u.loadVcpu(s, MTD_ALL, 0x78);
    expect(raw.subarray(UTCB_FPU, UTCB_FPU + FPU_IMAGE_BYTES).every((b) => b === 0xee)).toBe(true);
    u.loadVcpu(s, Mtd.FPU, 0x78);
    expect(u.mtd).toBe(Mtd.FPU);
    expect(raw.subarray(UTCB_FPU, UTCB_FPU + FPU_IMAGE_BYTES)).toEqual(s.fpu);
    expect(raw[UTCB_FPU - 1]).toBe(0); // exit_reason's top byte, not the image
    expect(raw[UTCB_FPU + FPU_IMAGE_BYTES]).toBe(0xee); // nothing past the legacy region
    expect(u.fpuImage()).toEqual(s.fpu);

    const back = new VcpuState();
    u.fpuImage()[0] = 0x7f;
    u.saveVcpu(back, MTD_ALL);
    expect(back.fpu.every((b) => b === 0)).toBe(true);
    u.saveVcpu(back, Mtd.FPU);
    expect(back.fpu[0]).toBe(0x7f);
    expect(back.fpu.subarray(1)).toEqual(s.fpu.subarray(1));
    // copyVcpuState copies the image with the bit, by value
    const c = new VcpuState();
    copyVcpuState(c, back, MTD_ALL);
    expect(c.fpu[0]).toBe(0);
    copyVcpuState(c, back, Mtd.FPU);
    expect(c.fpu).toEqual(back.fpu);
    expect(c.fpu).not.toBe(back.fpu);
  });
});
