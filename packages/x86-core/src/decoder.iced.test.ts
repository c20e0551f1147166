import { describe, expect, it } from 'vitest';
import { DecoderDiff, Rng, randomInstruction } from '../test/decoder-diff.js';

/**
 * Differential decoding against iced-x86 with a fixed seed (the long run is
 * `npx tsx test/fuzz-decoder.ts`): validity on a P6, length, memory operand and immediates.
 */
describe('decoder vs iced-x86', () => {
  for (const bitness of [16, 32] as const) {
    it(`agrees on 30000 random ${bitness}-bit byte strings (seed 7)`, () => {
      const diff = new DecoderDiff(bitness);
      const rng = new Rng(7 + bitness);
      const disagreements: string[] = [];
      for (let k = 0; k < 30_000; k++) {
        const bytes = randomInstruction(rng);
        const d = diff.compare(bytes);
        if (d !== null && disagreements.length < 10)
          disagreements.push(`${Buffer.from(bytes).toString('hex')}: ${d}`);
      }
      expect(disagreements).toEqual([]);
    }, 60_000);
  }

  it('decodes hand-picked encodings like iced', () => {
    const diff = new DecoderDiff(32);
    const cases = [
      '8b448bfc', // mov eax, [ebx+ecx*4-4]
      'c70501020304ffffff7f', // mov dword [0x4030201], 0x7fffffff
      '66b80102', // mov ax, 0x201
      '0fc70f', // cmpxchg8b [edi]
      '0f4dc1', // cmovge eax, ecx
      'f00fb10a', // lock cmpxchg [edx], ecx
      'dd7c2404', // fnstsw [esp+4]
      'c8100001', // enter 0x10, 1
      '0f0b', // ud2
      '0f1f4000', // nop dword [eax]
      '65a1efbeadde', // mov eax, gs:[0xdeadbeef]
      '678b00', // mov eax, [bx+si]
    ];
    for (const hex of cases)
      expect(
        diff.compare(Uint8Array.from(Buffer.from(`${hex}${'90'.repeat(16)}`.slice(0, 32), 'hex'))),
      ).toBeNull();
  });
});
