/**
 * Stack helpers: push and pop through SS with the stack size of SS.B (16-bit stacks keep the
 * upper half of ESP). ESP is committed only after the memory access succeeded.
 */
import { rd16, rd32, wr16, wr32 } from './access.js';
import type { Cpu } from './cpu.js';

const SS = 2;
const ESP = 4;

/** Pushes a word. */
export function push16(c: Cpu, v: number): void {
  const esp = c.r32[ESP]!;
  const m = c.spMask;
  const nsp = (esp - 2) & m;
  wr16(c, SS, nsp, v);
  c.r32[ESP] = (esp & ~m) | nsp;
}

/** Pushes a dword. */
export function push32(c: Cpu, v: number): void {
  const esp = c.r32[ESP]!;
  const m = c.spMask;
  const nsp = (esp - 4) & m;
  wr32(c, SS, nsp, v);
  c.r32[ESP] = (esp & ~m) | nsp;
}

/** Pops a word. */
export function pop16(c: Cpu): number {
  const esp = c.r32[ESP]!;
  const m = c.spMask;
  const v = rd16(c, SS, esp & m);
  c.r32[ESP] = (esp & ~m) | ((esp + 2) & m);
  return v;
}

/** Pops a dword. */
export function pop32(c: Cpu): number {
  const esp = c.r32[ESP]!;
  const m = c.spMask;
  const v = rd32(c, SS, esp & m);
  c.r32[ESP] = (esp & ~m) | ((esp + 4) & m);
  return v;
}

/** Reads the word `delta` bytes above the stack top without popping. */
export function peek16(c: Cpu, delta: number): number {
  return rd16(c, SS, (c.r32[ESP]! + delta) & c.spMask);
}

/** Reads the dword `delta` bytes above the stack top without popping. */
export function peek32(c: Cpu, delta: number): number {
  return rd32(c, SS, (c.r32[ESP]! + delta) & c.spMask);
}

/** Writes the word `delta` bytes relative to the stack top (negative = below) without moving ESP. */
export function poke16(c: Cpu, delta: number, v: number): void {
  wr16(c, SS, (c.r32[ESP]! + delta) & c.spMask, v);
}

/** Writes the dword `delta` bytes relative to the stack top without moving ESP. */
export function poke32(c: Cpu, delta: number, v: number): void {
  wr32(c, SS, (c.r32[ESP]! + delta) & c.spMask, v);
}

/** Adds `delta` to the stack pointer, honouring the stack size. */
export function adjustSp(c: Cpu, delta: number): void {
  const esp = c.r32[ESP]!;
  const m = c.spMask;
  c.r32[ESP] = (esp & ~m) | ((esp + delta) & m);
}
