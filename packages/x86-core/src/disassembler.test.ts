import { describe, expect, it } from 'vitest';
import { machine } from '../test/harness.js';
import { createIcedDisassembler, peekCode, traceInstructions } from './disassembler.js';

describe('disassembly hook (iced-x86)', () => {
  it('disassembles in NASM syntax with the right length', async () => {
    const dis = await createIcedDisassembler();
    expect(dis.disassemble(Uint8Array.from([0x8b, 0x44, 0x8b, 0xfc]), 32, 0)).toEqual({
      text: 'mov eax,[ebx+ecx*4-4]',
      length: 4,
    });
    expect(dis.disassemble(Uint8Array.from([0xeb, 0xfe]), 16, 0x100)).toEqual({
      text: 'jmp short 0100h',
      length: 2,
    });
  });
  it('traces executed instructions', async () => {
    const dis = await createIcedDisassembler();
    const m = machine([0xb8, 1, 0, 0, 0, 0x40, 0xf4]);
    const lines: string[] = [];
    traceInstructions(m.cpu, dis, (l) => lines.push(l));
    m.cpu.run(10);
    expect(lines).toEqual([
      '0008:00001000  b801000000           mov eax,1',
      '0008:00001005  40                   inc eax',
      '0008:00001006  f4                   hlt',
    ]);
  });
  it('peeks code without faulting', () => {
    const m = machine([0x90]);
    expect(peekCode(m.cpu, 0x1000, 2)).toEqual(Uint8Array.from([0x90, 0]));
    expect(peekCode(m.cpu, 0x7ffffff0, 4).length).toBe(4);
  });
});
