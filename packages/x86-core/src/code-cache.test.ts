import { describe, expect, it } from 'vitest';
import { CODE, exec, machine } from '../test/harness.js';
import { chunkMask } from './code-cache.js';

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

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
