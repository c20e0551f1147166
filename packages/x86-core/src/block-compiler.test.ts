import { describe, expect, it } from 'vitest';
import { CODE, machine } from '../test/harness.js';
import { compileBlock } from './block-compiler.js';

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

// A loop mixing ALU, memory, shifts and a conditional: sum = Σ (i * 3 ^ (i << 2)) into [0x3000].
const LOOP = [
  0xb9,
  ...le32(5000), // mov ecx, 5000
  0x31,
  0xc0, // xor eax, eax
  0x89,
  0xca, // L: mov edx, ecx
  0x6b,
  0xd2,
  0x03, // imul edx, edx, 3
  0x89,
  0xcb, // mov ebx, ecx
  0xc1,
  0xe3,
  0x02, // shl ebx, 2
  0x31,
  0xda, // xor edx, ebx
  0x01,
  0xd0, // add eax, edx
  0x01,
  0x05,
  ...le32(0x3000), // add [0x3000], eax
  0x49, // dec ecx
  0x75,
  0xe9, // jnz L
  0xf4,
];

function runWith(threshold: number) {
  const m = machine(LOOP);
  m.cpu.compileThreshold = threshold;
  m.cpu.run(1_000_000);
  return {
    eax: m.cpu.r32[0],
    mem: m.mem.read32(0x3000),
    retired: m.cpu.retired,
    eip: m.cpu.eip,
    flags: m.cpu.getEflags(),
  };
}

describe('block compiler', () => {
  it('gives exactly the interpreter results and counts', () => {
    const interpreted = runWith(Number.POSITIVE_INFINITY);
    const compiled = runWith(2);
    expect(compiled).toEqual(interpreted);
    expect(interpreted.eip).toBe(CODE + LOOP.length);
  });
  it('restores EIP and counts up to the faulting instruction when a compiled block faults', () => {
    // A hot loop whose memory operand walks into a segment limit: #GP at the store.
    const code = [0xbe, ...le32(0x2000), 0x89, 0x06, 0x83, 0xc6, 0x04, 0xeb, 0xf9];
    const m = machine(code);
    m.cpu.compileThreshold = 2;
    m.cpu.loadSegmentCache(3, 0x10, 0, 0x2fff, 0x493);
    let at = -1;
    m.cpu.eventInterceptor = (c, v) => {
      at = c.eip;
      expect(v).toBe(13);
      c.halt();
      return true;
    };
    m.cpu.run(100_000);
    expect(at).toBe(CODE + 5);
    expect(m.cpu.r32[6]).toBe(0x3000);
    // mov esi + 1024 × (mov, add, jmp) + the faulting store (it started, so it counts).
    expect(m.cpu.retired).toBe(1 + 1024 * 3 + 1);
  });
  it('compiles a decoded block into a function', () => {
    const m = machine(LOOP);
    m.cpu.compileThreshold = Number.POSITIVE_INFINITY;
    m.cpu.run(3);
    const b = m.cpu.lastBlock!;
    expect(compileBlock(b)).toBeTypeOf('function');
  });
});
