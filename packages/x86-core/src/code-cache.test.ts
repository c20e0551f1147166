import { describe, expect, it } from 'vitest';
import { CODE, exec, machine } from '../test/harness.js';
import { chunkMask } from './code-cache.js';
import { RunExit } from './run-exit.js';

describe('decoded-code cache', () => {
  it('self-modifying code: a write to the next instruction takes effect', () => {
    // mov byte [CODE+8], 0x42 (inc edx → changes the following "inc eax" at CODE+8? no: patch B8's imm)
    // CODE+0: c6 05 <addr32> 0x40    mov byte [CODE+10], 0x40   (patch: nop → inc eax)
    // CODE+7: 90 90 90 90            nops; CODE+10 is patched from 0x90 to 0x40
    const code = [
      0xc6,
      0x05,
      ...[CODE + 10, 0, 0, 0].map((v, k) => (k === 0 ? v & 0xff : k === 1 ? (CODE + 10) >> 8 : 0)),
      0x40,
      0x90,
      0x90,
      0x90,
      0x90,
    ];
    const m = exec(code);
    expect(m.cpu.r32[0]).toBe(1);
  });
  it('re-executing modified code in a hot loop runs the new bytes (compiled blocks too)', () => {
    // CODE+0  mov ecx, 200
    // CODE+5  add eax, 1            ; the immediate is at CODE+7
    // CODE+8  dec ecx
    // CODE+9  jnz CODE+5
    // CODE+11 mov byte [CODE+7], 2  ; patch the loop body
    // CODE+18 mov ecx, 200
    // CODE+23 jmp CODE+5
    const m = machine([
      0xb9,
      200,
      0,
      0,
      0,
      0x83,
      0xc0,
      0x01,
      0x49,
      0x75,
      0xfa,
      0xc6,
      0x05,
      ...le32(CODE + 7),
      0x02,
      0xb9,
      200,
      0,
      0,
      0,
      0xe9,
      ...le32(5 - 28),
    ]);
    m.cpu.run(1 + 200 * 3 + 3 + 200 * 3);
    expect(m.cpu.r32[0]).toBe(200 + 2 * 200);
  });
  it('tracks code in 128-byte chunks', () => {
    expect(chunkMask(0, 1)).toBe(1);
    expect(chunkMask(127, 2)).toBe(3);
    expect(chunkMask(4095, 1) >>> 0).toBe(0x80000000);
    expect(chunkMask(0, 4096)).toBe(-1);
  });
});

describe('an instruction running into the next page', () => {
  // Linear 0x3000 → physical 0x3000, linear 0x4000 → physical 0x5000 (identity elsewhere).
  // 0x3ff8  dec ecx
  // 0x3ff9  nop ×3
  // 0x3ffc  mov eax, 0x44332211   ; its last byte is the first byte of the next page
  // 0x4001  add ebx, eax
  // 0x4003  test ecx, ecx
  // 0x4005  jnz 0x3ff8
  // 0x4007  hlt
  const PD = 0x10000;
  const PT = 0x11000;
  function setup() {
    const m = machine([0xf4]);
    for (let k = 0; k < 1024; k++) m.mem.write32(PT + 4 * k, (k << 12) | 7);
    m.mem.write32(PT + 4 * 4, 0x5000 | 7);
    m.mem.write32(PD, PT | 7);
    m.mem.write(0x3ff8, Uint8Array.from([0x49, 0x90, 0x90, 0x90, 0xb8, 0x11, 0x22, 0x33]));
    const tail = [0x44, 0x01, 0xc3, 0x85, 0xc9, 0x75, 0xf1, 0xf4];
    m.mem.write(0x5000, Uint8Array.from(tail));
    m.mem.write(0x6000, Uint8Array.from([0x66, ...tail.slice(1)]));
    m.cpu.cr3 = PD;
    m.cpu.cr0 |= 0x80000000 | 0;
    m.cpu.flushTlb();
    const loop = (n: number) => {
      m.cpu.r32[1] = n;
      m.cpu.r32[3] = 0;
      m.cpu.eip = 0x3ff8;
      m.cpu.halted = false;
      return m.cpu.run(10 * n + 10);
    };
    return { m, loop };
  }

  it('is decoded once and cached with its second page', () => {
    const { m, loop } = setup();
    expect(loop(500)).toBe(RunExit.HLT);
    expect(m.cpu.r32[3]).toBe(Math.imul(500, 0x44332211) >>> 0);
    const b = m.mem.code.get(0x3ffc, 1);
    expect(b?.phys2).toBe(0x5000);
    expect(b?.compiled).not.toBeNull();
  });

  it('a guest store to the second page re-decodes it', () => {
    const { m, loop } = setup();
    loop(200);
    // mov byte [0x4000], 0x55 ; hlt   (linear 0x4000 is physical 0x5000)
    m.mem.write(CODE, Uint8Array.from([0xc6, 0x05, 0x00, 0x40, 0x00, 0x00, 0x55, 0xf4]));
    m.cpu.eip = CODE;
    m.cpu.halted = false;
    m.cpu.run(10);
    expect(m.mem.read8(0x5000)).toBe(0x55);
    loop(200);
    expect(m.cpu.r16[0]).toBe(0x2211);
    expect(m.cpu.r32[0]! >>> 0).toBe(0x55332211);
  });

  it('follows a remapped second page', () => {
    const { m, loop } = setup();
    loop(200);
    m.mem.write32(PT + 4 * 4, 0x6000 | 7);
    m.cpu.flushTlb();
    loop(200);
    expect(m.cpu.r32[0]! >>> 0).toBe(0x66332211);
  });

  it('faults on the second page when it is no longer present', () => {
    const { m, loop } = setup();
    loop(200);
    m.mem.write32(PT + 4 * 4, 0);
    m.cpu.flushTlb();
    let seen = -1;
    let code = -1;
    m.cpu.eventInterceptor = (_c, v, c) => {
      seen = v;
      code = c;
      return true;
    };
    loop(1);
    expect(seen).toBe(14);
    expect(code).toBe(0); // not present, read, supervisor (no I/D bit without NX)
    expect(m.cpu.excAddr >>> 0).toBe(0x4000);
    expect(m.cpu.eip).toBe(0x3ffc);
  });
});

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
