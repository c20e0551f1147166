/**
 * The inline snippets of the block compiler against the handlers they replace: random loops made
 * of exactly the instruction forms block-inline.ts transcribes (register moves, loads and stores
 * through random ModRM/SIB operands, 32-bit ALU operations, INC/DEC, shifts), mixed with
 * instructions that read the lazy flags, run once interpreted and once compiled from the first
 * repetition on. Registers, EFLAGS, EIP, the instruction count and every byte of memory must be
 * identical — including when an address leaves RAM, hits the code being run, or breaks a segment
 * limit or a read-only segment (#GP delivered through the IDT), crosses into a page that is
 * not physically contiguous, or is not mapped (#PF). fast-check, fixed seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inlineInsn } from './block-inline.js';
import { Cpu } from './cpu.js';
import { decodeAt } from './decoder.js';
import { Insn } from './insn.js';
import { PhysicalMemory } from './physical-memory.js';
import { RunExit } from './run-exit.js';

const CODE = 0x1000;
const IDT = 0x400;
const GDT = 0x800;

/** Registers instructions write (EAX, ECX, EDX); EBX, EBP, ESI and EDI hold addresses. */
const dst = fc.integer({ min: 0, max: 2 });
const src = fc.integer({ min: 0, max: 7 });
const addrReg = fc.constantFrom(3, 6, 7);

/** A memory operand: ModRM (reg field 0) and the bytes after it. */
const memOperand: fc.Arbitrary<number[]> = fc.oneof(
  // [base] / [base + disp8] / [base + disp32] (EBP: through SS)
  fc
    .tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom(3, 5, 6, 7), fc.integer({ min: -128, max: 127 }))
    .map(([mod, rm, d]) =>
      mod === 0 && rm !== 5 ? [rm] : mod === 2 ? [0x80 | rm, d & 0xff, 0, 0, 0] : [0x40 | rm, d & 0xff],
    ),
  // [disp32]
  fc
    .integer({ min: 0x10000, max: 0x1fff0 })
    .map((a) => [0x05, a & 0xff, (a >> 8) & 0xff, (a >> 16) & 0xff, 0]),
  // SIB: [base + index << scale + disp8] (index 4: none)
  fc
    .tuple(
      fc.integer({ min: 0, max: 3 }),
      fc.constantFrom(3, 4, 6, 7),
      addrReg,
      fc.integer({ min: 0, max: 255 }),
    )
    .map(([ss, idx, base, d]) => [0x44, (ss << 6) | (idx << 3) | base, d]),
);

const withReg = (m: number[], reg: number): number[] => [m[0]! | (reg << 3), ...m.slice(1)];
/** ModRM for a register pair: rm = destination, reg = source (and the reverse for 8B/3B). */
const rr = fc.tuple(src, dst).map(([a, b]) => 0xc0 | (a << 3) | b);
const imm32 = fc
  .integer({ min: -0x80000000, max: 0x7fffffff })
  .map((v) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff]);

/** One instruction of the inlined forms, or one that consumes flags / state the inlined ones leave. */
const insn: fc.Arbitrary<number[]> = fc.oneof(
  fc.tuple(fc.constantFrom(0x89, 0x88), memOperand, src).map(([op, m, r]) => [op, ...withReg(m, r)]),
  fc.tuple(fc.constantFrom(0x8b, 0x8a), memOperand, dst).map(([op, m, r]) => [op, ...withReg(m, r)]),
  fc.tuple(memOperand, src).map(([m, r]) => [0x66, 0x89, ...withReg(m, r)]),
  fc.tuple(memOperand, dst).map(([m, r]) => [0x66, 0x8b, ...withReg(m, r)]),
  fc.tuple(memOperand, dst, fc.constantFrom(0xb6, 0xb7)).map(([m, r, op]) => [0x0f, op, ...withReg(m, r)]),
  fc.tuple(memOperand, dst).map(([m, r]) => [0x8d, ...withReg(m, r)]),
  fc.tuple(memOperand, dst).map(([m, r]) => [0x3b, ...withReg(m, r)]),
  {
    arbitrary: fc
      .tuple(fc.constantFrom(0x89, 0x01, 0x29, 0x39, 0x21, 0x31, 0x85, 0x11), rr)
      .map(([op, m]) => [op, m]),
    weight: 4,
  },
  fc.tuple(dst, imm32).map(([r, v]) => [0xb8 + r, ...v]),
  fc.tuple(fc.constantFrom(0, 5, 7), dst, imm32).map(([op, r, v]) => [0x81, 0xc0 | (op << 3) | r, ...v]),
  fc
    .tuple(fc.constantFrom(0, 5, 7), dst, fc.integer({ min: 0, max: 255 }))
    .map(([op, r, v]) => [0x83, 0xc0 | (op << 3) | r, v]),
  fc.tuple(fc.constantFrom(0x40, 0x48), dst).map(([op, r]) => [op + r]),
  fc
    .tuple(fc.constantFrom(4, 5, 7), dst, fc.integer({ min: 0, max: 255 }))
    .map(([op, r, n]) => [0xc1, 0xc0 | (op << 3) | r, n]),
  // Flag readers: PUSHF (a log of EFLAGS on the stack, compared with the memory), PUSHF/POP,
  // SETcc, ADC (0x11 above).
  { arbitrary: fc.constant<number[]>([0x9c]), weight: 6 },
  dst.map((r) => [0x9c, 0x58 + r]),
  fc.tuple(fc.integer({ min: 0, max: 15 }), dst).map(([cc, r]) => [0x0f, 0x90 + cc, 0xc0 | r]),
);

const value = fc.oneof(
  { arbitrary: fc.integer({ min: 0x10000, max: 0x17fff }), weight: 3 },
  { arbitrary: fc.integer({ min: 0x10e00, max: 0x11000 }), weight: 2 },
  {
    arbitrary: fc.constantFrom(0x1000, 0x0ffe, 0x10ffd, 0x10ffe, 0x10fff, 0x12ffe, 0xffff, 0xfffff),
    weight: 2,
  },
  fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000, 0x1000, 0xffff),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
);

/**
 * Paging on: the first 4 MiB identity-mapped, except linear pages 0x11 and 0x13 swapped (an
 * access crossing from page 0x10 into 0x11 is not physically contiguous); flat 32-bit code and
 * data segments (DS is left to the caller).
 */
function swappedPaging(cpu: Cpu, mem: PhysicalMemory): void {
  for (let p = 0; p < 1024; p++) {
    const frame = p === 0x11 ? 0x13 : p === 0x13 ? 0x11 : p;
    mem.write32(0x81000 + 4 * p, (frame << 12) | 0x7);
  }
  mem.write32(0x80000, 0x81007);
  cpu.cr3 = 0x80000;
  cpu.cr0 = 0x80000011;
  cpu.refreshMode();
  cpu.loadSegmentCache(1, 0x08, 0, -1, 0xc9b);
  for (const s of [0, 2, 4, 5]) cpu.loadSegmentCache(s, 0x10, 0, -1, 0xc93);
}

function run(
  code: number[],
  regs: number[],
  flags: number,
  dsLimit: number,
  dsAttr: number,
  compiled: boolean,
) {
  const mem = new PhysicalMemory({ size: 1 << 20 });
  const cpu = new Cpu({ memory: mem });
  cpu.compileThreshold = compiled ? 1 : Number.POSITIVE_INFINITY;
  for (let k = 0; k < 0x4000; k++) mem.write8(0x10000 + k, (k * 37 + (k >> 8) * 13 + 11) & 0xff);
  mem.write(CODE, Uint8Array.from(code));
  // GDT: 08 code32, 10 data (flat), 18 data with a limit; IDT: every vector → a HLT.
  const desc = [
    [0, 0],
    [0x0000ffff, 0x00cf9a00],
    [0x0000ffff, 0x00cf9200],
    [dsLimit & 0xffff, 0x00009200 | (dsLimit & 0xf0000)],
  ];
  desc.forEach(([lo, hi], k) => {
    mem.write32(GDT + 8 * k, lo!);
    mem.write32(GDT + 8 * k + 4, hi!);
  });
  for (let v = 0; v < 32; v++) {
    mem.write32(IDT + 8 * v, (0x08 << 16) | 0x5000);
    mem.write32(IDT + 8 * v + 4, 0x8e00);
  }
  mem.write8(0x5000, 0xf4);
  cpu.gdtBase = GDT;
  cpu.gdtLimit = 8 * desc.length - 1;
  cpu.idtBase = IDT;
  cpu.idtLimit = 32 * 8 - 1;
  swappedPaging(cpu, mem);
  cpu.loadSegmentCache(3, 0x18, 0, dsLimit, dsAttr);
  regs.forEach((v, k) => {
    cpu.r32[k] = v;
  });
  cpu.r32[4] = 0x8000;
  cpu.setEflags(flags);
  cpu.eip = CODE;
  const exit = cpu.run(400);
  let h = 0;
  const words = new Int32Array(mem.u8.buffer, mem.u8.byteOffset, mem.u8.byteLength >> 2);
  for (let k = 0; k < words.length; k++) h = (Math.imul(h, 31) + words[k]!) | 0;
  return {
    exit,
    regs: Array.from(cpu.r32.subarray(0, 8)),
    eip: cpu.eip,
    fl: cpu.getEflags(),
    retired: cpu.retired,
    h,
  };
}

describe('block compiler inline snippets', () => {
  it('cover the forms the generator produces', () => {
    const c = new Cpu({ memory: new PhysicalMemory({ size: 1 << 20 }) });
    c.cr0 = 0x11;
    c.refreshMode();
    c.loadSegmentCache(1, 0x08, 0, -1, 0xc9b);
    for (const [bytes, inl] of [
      [[0x8b, 0x44, 0x24, 0x08], true], // mov eax, [esp + 8]
      [[0x89, 0x45, 0xf8], true], // mov [ebp - 8], eax
      [[0x01, 0xd8], true], // add eax, ebx
      [[0x66, 0x89, 0x06], true], // mov [esi], ax
      [[0x66, 0x8b, 0x06], true], // mov ax, [esi]
      [[0x0f, 0xb7, 0x4b, 0x02], true], // movzx ecx, word [ebx + 2]
      [[0x88, 0x06], true], // mov [esi], al
      [[0x9c], false], // pushf: a handler call
    ] as const) {
      c.mem.write(0x2000, Uint8Array.from(bytes));
      const i = new Insn(() => {});
      decodeAt(c, 0x2000, 1, i);
      expect(inlineInsn(i) !== null).toBe(inl);
    }
  });

  it('loads and stores crossing into a discontiguous page match in compiled code', () => {
    // mov eax, [ebx]; mov [esi], ax; movzx ecx, word [ebx + 2]; mov [edi], ecx; push eax;
    // inc ebx; inc esi; inc edi; jmp back — sweeping byte by byte across linear 0x11000.
    const body = [0x8b, 0x03, 0x66, 0x89, 0x06, 0x0f, 0xb7, 0x4b, 0x02, 0x89, 0x0f, 0x50, 0x43, 0x46, 0x47];
    const back = -(body.length + 5);
    const code = [...body, 0xe9, back & 0xff, (back >> 8) & 0xff, (back >> 16) & 0xff, (back >>> 24) & 0xff];
    const regs = [0, 0, 0, 0x10ff0, 0, 0, 0x10ff4, 0x12ff0];
    const a = run(code, regs, 2, 0xfffff, 0x93, false);
    const b = run(code, regs, 2, 0xfffff, 0x93, true);
    expect(b).toEqual(a);
    expect(a.exit).toBe(RunExit.BUDGET);
  });

  it('a 16-bit store and load at the last byte of a page reach the next page through the TLB', () => {
    // mov [esi], ax; mov cx, [esi]; add edx, ecx; inc esi; jmp back — linear page 0x11 is
    // physical 0x13 (and the reverse), so a word access at 0x10fff must not touch physical 0x11000.
    const code = [0x66, 0x89, 0x06, 0x66, 0x8b, 0x0e, 0x01, 0xca, 0x46, 0xeb, 0xf5];
    const out = [false, true].map((compiled) => {
      const mem = new PhysicalMemory({ size: 1 << 20 });
      const cpu = new Cpu({ memory: mem });
      cpu.compileThreshold = compiled ? 1 : Number.POSITIVE_INFINITY;
      swappedPaging(cpu, mem);
      cpu.loadSegmentCache(3, 0x10, 0, -1, 0xc93);
      mem.write(0x2000, Uint8Array.from(code));
      cpu.r32[0] = 0xabcd;
      cpu.r32[2] = 0; // EDX holds the processor signature after reset
      cpu.r32[6] = 0x10ff0;
      cpu.eip = 0x2000;
      cpu.run(5 * 30);
      return [cpu.r32[6], cpu.r32[2], mem.read8(0x10fff), mem.read8(0x11000), mem.read8(0x13000)];
    });
    expect(out[0]).toEqual([0x1100e, 30 * 0xabcd, 0xcd, 0, 0xcd]);
    expect(out[1]).toEqual(out[0]);
  });

  it('compiled blocks match the interpreter exactly', () => {
    let looped = 0;
    fc.assert(
      fc.property(
        fc.array(insn, { minLength: 1, maxLength: 24 }),
        fc.array(value, { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 0, max: 0xfff }),
        fc.oneof({ arbitrary: fc.constant(0xfffff), weight: 3 }, fc.integer({ min: 0x10000, max: 0x20000 })),
        fc.constantFrom(0x93, 0x93, 0x93, 0x91),
        (insns, regs, flags, dsLimit, dsAttr) => {
          const body = insns.flat();
          // The address registers move every iteration, so that limits, page ends and unmapped
          // pages are reached by the compiled loop too (faults of the first, interpreted pass aside).
          body.push(0x83, 0xc3, 0x1f, 0x83, 0xc6, 0x3d, 0x83, 0xef, 0x27); // add ebx, 31; add esi, 61; sub edi, 39
          const back = -(body.length + 5);
          const code = [
            ...body,
            0xe9,
            back & 0xff,
            (back >> 8) & 0xff,
            (back >> 16) & 0xff,
            (back >>> 24) & 0xff,
          ]; // a self-loop
          const a = run(code, regs, flags | 2, dsLimit, dsAttr, false);
          const b = run(code, regs, flags | 2, dsLimit, dsAttr, true);
          expect(b).toEqual(a);
          if (a.exit === RunExit.BUDGET) looped++;
        },
      ),
      { seed: 20260214, numRuns: 400 },
    );
    // Many programs loop until the budget ends: their compiled form really ran.
    expect(looped).toBeGreaterThan(75);
  }, 120_000);
});
