import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseNptBlock, type Npt_block, type Npt_block_input } from './npt-block.js';

const PAGE = 4096;
const MIB = 1 << 20;

function aligned(x: number, log2: number): boolean {
  return x % 2 ** log2 === 0;
}

/** Whether `b` satisfies every constraint of the input (without maximality). */
function valid(input: Npt_block_input, b: Npt_block): boolean {
  const size = 2 ** b.log2;
  const { region } = input;
  const delta = region.local - region.gpa;
  if (!aligned(b.gpa, b.log2) || !aligned(b.local, b.log2)) return false;
  if (b.local - b.gpa !== delta) return false;
  if (b.gpa < region.gpa || b.gpa + size > region.gpa + region.size) return false;
  if (input.mapping !== undefined) {
    if (b.local < input.mapping.virt || b.local + size > input.mapping.virt + input.mapping.size)
      return false;
  }
  if (b.log2 > (input.maxLog2 ?? 52)) return false;
  return b.gpa <= input.gpa && input.gpa < b.gpa + size;
}

describe('chooseNptBlock (Seoul max_map_crd)', () => {
  it('maps the largest co-aligned block inside the region', () => {
    const region = { gpa: MIB, size: 15 * MIB, local: 0x1_0000_0000 + MIB };
    expect(chooseNptBlock({ gpa: MIB, region })).toEqual({ local: 0x1_0010_0000, gpa: MIB, log2: 20 });
    expect(chooseNptBlock({ gpa: 0x2f_ffff, region })).toEqual({
      local: 0x1_0020_0000,
      gpa: 0x20_0000,
      log2: 21,
    });
    expect(chooseNptBlock({ gpa: 5 * MIB, region })).toEqual({
      local: 0x1_0040_0000,
      gpa: 4 * MIB,
      log2: 22,
    });
    // 8 MiB-aligned and [8 MiB, 16 MiB) is inside the region
    expect(chooseNptBlock({ gpa: 9 * MIB, region }).log2).toBe(23);
    // the low region [0, 640 KiB): 512 KiB blocks at 0, then 128 KiB at 512 KiB
    const low = { gpa: 0, size: 0xa0000, local: 0x1_0000_0000 };
    expect(chooseNptBlock({ gpa: 0x9000, region: low })).toEqual({ local: 0x1_0000_0000, gpa: 0, log2: 19 });
    expect(chooseNptBlock({ gpa: 0x9f000, region: low })).toEqual({
      local: 0x1_0008_0000,
      gpa: 0x80000,
      log2: 17,
    });
  });

  it('never leaves the VMM’s own mapping, and respects the co-alignment of both spaces', () => {
    const region = { gpa: 0, size: 64 * MIB, local: 0x4000_0000 };
    expect(chooseNptBlock({ gpa: 0x123456, region, mapping: { virt: 0x4012_3000, size: PAGE } }).log2).toBe(
      12,
    );
    // local and guest-physical only 64 KiB co-aligned: blocks stop at 64 KiB
    const skew = { gpa: 0, size: 64 * MIB, local: 0x4001_0000 };
    expect(chooseNptBlock({ gpa: 0x300000, region: skew })).toEqual({
      local: 0x4031_0000,
      gpa: 0x300000,
      log2: 16,
    });
    expect(chooseNptBlock({ gpa: 0x300000, region, maxLog2: 21 }).log2).toBe(21);
  });

  it('property: aligned in both spaces, inside region and mapping, contains the fault, maximal', () => {
    const arb = fc
      .record({
        regionPage: fc.integer({ min: 0, max: 1 << 20 }),
        pages: fc.integer({ min: 1, max: 1 << 14 }),
        localAlignLog2: fc.integer({ min: 12, max: 32 }),
        localSlot: fc.integer({ min: 1, max: 64 }),
        localSkewPages: fc.integer({ min: 0, max: 1 << 10 }),
        faultFrac: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        mapLog2: fc.integer({ min: 12, max: 30 }),
        useMapping: fc.boolean(),
        maxLog2: fc.integer({ min: 12, max: 52 }),
      })
      .map((r) => {
        const gpa = r.regionPage * PAGE;
        const size = r.pages * PAGE;
        const local = r.localSlot * 2 ** r.localAlignLog2 + r.localSkewPages * PAGE;
        const fault = gpa + Math.floor(r.faultFrac * size);
        const faultLocal = local + (fault - gpa);
        // the VMM's mapping: a naturally aligned block around the fault's local page
        const virt = Math.floor(faultLocal / 2 ** r.mapLog2) * 2 ** r.mapLog2;
        const input: Npt_block_input = {
          gpa: fault,
          region: { gpa, size, local },
          maxLog2: r.maxLog2,
          ...(r.useMapping ? { mapping: { virt, size: 2 ** r.mapLog2 } } : {}),
        };
        return input;
      });
    fc.assert(
      fc.property(arb, (input) => {
        const b = chooseNptBlock(input);
        expect(valid(input, b)).toBe(true);
        // maximal: the next larger block around the fault violates a constraint
        const next = b.log2 + 1;
        const base = Math.floor(input.gpa / 2 ** next) * 2 ** next;
        const bigger = { gpa: base, local: base + input.region.local - input.region.gpa, log2: next };
        expect(valid(input, bigger)).toBe(false);
      }),
      { seed: 0x5eed, numRuns: process.env.GENODE_TS_LONG ? 100_000 : 2_000 },
    );
  });
});
