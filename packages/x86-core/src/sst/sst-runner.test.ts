import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseMoo } from './moo.js';
import { lockableOnP6, opcodeOf, SkipReason, type SstMetadata, SstRunner } from './sst-runner.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const folder = path.resolve(here, '../../../../../shared/testdata/sst-80286');
const present = fs.existsSync(path.join(folder, 'metadata.json'));
if (!present && process.env.CI === 'true') {
  throw new Error(`SingleStepTests data missing at ${folder}`);
}

describe('opcodeOf / lockableOnP6', () => {
  it('skips prefixes and reads ModRM.reg of group opcodes', () => {
    expect(opcodeOf(new Uint8Array([0x2e, 0xf0, 0xf7, 0x36, 0xf4]))).toEqual({
      op: 0xf7,
      reg: 6,
      prefixes: 2,
    });
    expect(opcodeOf(new Uint8Array([0x90, 0xf4])).reg).toBe(-1);
  });
  it('accepts LOCK only on memory read-modify-write forms', () => {
    expect(lockableOnP6(new Uint8Array([0xf0, 0x01, 0x07]), 1)).toBe(true); // lock add [bx],ax
    expect(lockableOnP6(new Uint8Array([0xf0, 0x01, 0xc0]), 1)).toBe(false); // lock add ax,ax
    expect(lockableOnP6(new Uint8Array([0xf0, 0x39, 0x07]), 1)).toBe(false); // lock cmp [bx],ax
    expect(lockableOnP6(new Uint8Array([0xf0, 0x83, 0x3f, 1]), 1)).toBe(false); // lock cmp word [bx],1
    expect(lockableOnP6(new Uint8Array([0xf0, 0xfe, 0x07]), 1)).toBe(true); // lock inc byte [bx]
  });
});

describe.skipIf(!present)('SingleStepTests 80286 (real mode), every form', () => {
  it('passes every test that is not skipped for a documented reason', () => {
    const meta = JSON.parse(fs.readFileSync(path.join(folder, 'metadata.json'), 'utf8')) as SstMetadata;
    const runner = new SstRunner();
    const files = fs.readdirSync(folder).filter((f) => f.endsWith('.MOO.gz'));
    let passed = 0;
    let skipped = 0;
    const failures: string[] = [];
    const reasons = new Set<string>();
    for (const f of files) {
      const file = parseMoo(zlib.gunzipSync(fs.readFileSync(path.join(folder, f))));
      const r = runner.runFile(f.replace('.MOO.gz', ''), file, meta, 2);
      passed += r.passed;
      for (const [why, n] of r.skipped) {
        skipped += n;
        reasons.add(why);
      }
      if (r.failed > 0) failures.push(`${r.form}: ${r.failed} failed, e.g. ${r.failures.join(' | ')}`);
    }
    expect(failures).toEqual([]);
    // Every skip has one of the documented reasons, and skips stay a small minority.
    for (const why of reasons) expect(Object.values(SkipReason)).toContain(why);
    expect(files.length).toBeGreaterThan(300);
    expect(passed).toBeGreaterThan(150_000);
    expect(skipped).toBeLessThan(passed / 20);
  }, 120_000);
});
