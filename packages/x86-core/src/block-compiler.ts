/**
 * The block compiler: turns a hot {@link Block} into one JavaScript function with `new Function`,
 * which V8 then optimises as a whole (spec/x86.md: "the equivalent of v86's JIT").
 *
 * Every instruction becomes a direct call of its handler with its decoded {@link Insn}; the
 * call sites are monomorphic, so TurboFan inlines the handlers and their helpers into straight
 * code. EIP is written as block start + constant offset. A block whose last instruction branches
 * back to its own start loops inside the function while no event is pending, the budget allows
 * and the block is still valid (so tight guest loops never return to the dispatcher).
 *
 * Semantics are exactly the interpreter's: a fault restores EIP to the faulting instruction and
 * counts the instructions before it; a write that invalidates the block ends it after the
 * writing instruction. Environments without `new Function` (strict CSP) keep interpreting.
 */

import { INLINE_HELPERS, inlineInsn } from './block-inline.js';
import type { Block, CompiledBlock } from './code-cache.js';
import { Flag } from './constants.js';
import type { Cpu } from './cpu.js';
import { FAULT, VMEXIT } from './fault.js';
import { InsnFlag } from './insn.js';
import {
  ja,
  jb,
  jbe,
  jg,
  jge,
  jl,
  jle,
  jmp_rel,
  jnb,
  jno,
  jnp,
  jns,
  jnz,
  jo,
  jp,
  js,
  jz,
} from './ops/control.js';

const SELF_LOOP_BRANCHES = new Set<unknown>([
  jmp_rel,
  jo,
  jno,
  jb,
  jnb,
  jz,
  jnz,
  jbe,
  ja,
  js,
  jns,
  jp,
  jnp,
  jl,
  jge,
  jle,
  jg,
]);

let available = true;

/** Compiles `b`, or returns null when code generation is unavailable. */
export function compileBlock(b: Block): CompiledBlock | null {
  if (!available) return null;
  const ins = b.insns;
  const n = ins.length;
  const mask = b.ipMask === -1 ? '| 0' : '& 65535';
  const starts: number[] = [];
  let off = 0;
  const lines: string[] = [];
  for (let k = 0; k < n; k++) {
    const i = ins[k]!;
    starts.push(off);
    off += i.len;
    const inl = inlineInsn(i);
    if (inl === null) {
      lines.push(`k = ${k}; c.eip = (e0 + ${off}) ${mask}; h${k}(c, i${k});`);
    } else if (inl.mem || k === n - 1) {
      // A memory access may fault or reach a device: EIP and k are current, as for a handler.
      lines.push(`k = ${k}; c.eip = (e0 + ${off}) ${mask}; ${inl.code}`);
    } else {
      // Register-only code neither faults nor calls out: EIP is written by a later instruction.
      lines.push(inl.code);
    }
    if ((i.flags & InsnFlag.WRITES) !== 0 && k < n - 1) {
      lines.push(`if (!B.valid) { c.retired += ${k + 1}; return null; }`);
    }
  }
  const last = ins[n - 1]!;
  const selfLoop =
    SELF_LOOP_BRANCHES.has(last.fn) &&
    (b.ipMask === -1 ? (off + last.imm) | 0 : (off + last.imm) & 0xffff) === 0;
  const chain = b.linkable
    ? `if (${MUST_LOOK} || B.sg !== c.tlbGen) return null;
  const e = c.eip;
  const nb = B.s0e === e ? B.s0 : B.s1e === e ? B.s1 : null;
  return nb !== null && nb.valid ? nb : null;`
    : 'return null;';
  const body = selfLoop
    ? `for (;;) {
  ${lines.join('\n  ')}
  c.retired += ${n};
  if (c.eip !== e0 || ${MUST_LOOK} || !B.valid || c.retired + ${n} > c.budgetEnd) break;
}
${chain}`
    : `${lines.join('\n')}
c.retired += ${n};
${chain}`;
  const src = `"use strict";
return function block_${(b.phys >>> 0).toString(16)}(c) {
  const e0 = c.eip;
  const r = c.r32;
  const r16 = c.r16;
  const r8 = c.r8;
  let k = 0;
  let o = 0;
  let l = 0;
  let t = 0;
  let v = 0;
  try {
${body}
  } catch (e) {
    if (e === F || e === V) c.eip = (e0 + S[k]) ${mask};
    c.retired += k + 1;
    throw e;
  }
};`;
  const names = ['B', 'F', 'V', 'S', ...Object.keys(INLINE_HELPERS)];
  const values: unknown[] = [b, FAULT, VMEXIT, Int32Array.from(starts), ...Object.values(INLINE_HELPERS)];
  for (let k = 0; k < n; k++) {
    names.push(`h${k}`, `i${k}`);
    values.push(ins[k]!.fn, ins[k]!);
  }
  try {
    const factory = new Function(...names, src) as (...a: unknown[]) => CompiledBlock;
    return factory(...values);
  } catch {
    available = false;
    return null;
  }
}

/**
 * The condition under which a compiled block must return to `Cpu.run` instead of looping or
 * chaining: an event to look at (INTR alone while IF = 0 and the CPU is not halted needs none —
 * the same test as the run loop's) or single-stepping. EV_INTR is 1 (cpu.ts; not imported: cpu.ts
 * imports this module).
 */
const MUST_LOOK = `(c.events !== 0 && (c.events !== 1 || (c.fl & ${Flag.IF}) !== 0 || c.halted)) || (c.fl & ${Flag.TF}) !== 0`;

/** Installs the compiler on a CPU (threshold = executions before a block is compiled). */
export function enableBlockCompiler(c: Cpu, threshold = 500): void {
  c.compileThreshold = threshold;
}
