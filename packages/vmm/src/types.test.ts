import { describe, expect, it } from 'vitest';
import { GENODE_VMM_PAGE_SIZE_SLIP, PAGE_SIZE, PAGE_SIZE_LOG2 } from './types.js';

describe('Vmm types', () => {
  it('uses the intended 4 KiB page and documents the historical slip', () => {
    expect(PAGE_SIZE_LOG2).toBe(12);
    expect(PAGE_SIZE).toBe(4096);
    expect(GENODE_VMM_PAGE_SIZE_SLIP).toBe(0xc000);
  });
});
