#!/usr/bin/env node
/**
 * x86-core-sst <folder> [form…]: runs the SingleStepTests 80286 set in <folder> (MOO files plus
 * metadata.json) and prints one line per instruction form, then
 * "N passed, N failed, N skipped" and the skip reasons. Exit status 1 when any test failed.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseMoo, type SstMetadata, SstRunner } from '@genode-ts/x86-core';

function main(argv: string[]): number {
  const verbose = argv.includes('-v');
  const args = argv.filter((a) => a !== '-v');
  const folder = args[0];
  if (folder === undefined) {
    process.stderr.write('usage: x86-core-sst <folder> [form…] [-v]\n');
    return 2;
  }
  const only = new Set(args.slice(1).map((s) => s.toUpperCase()));
  let meta: SstMetadata;
  try {
    meta = JSON.parse(fs.readFileSync(path.join(folder, 'metadata.json'), 'utf8')) as SstMetadata;
  } catch (e) {
    process.stderr.write(
      `x86-core-sst: cannot read ${path.join(folder, 'metadata.json')}: ${(e as Error).message}\n`,
    );
    return 2;
  }
  const files = fs
    .readdirSync(folder)
    .filter((f) => f.endsWith('.MOO.gz'))
    .sort();
  const runner = new SstRunner();
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const reasons = new Map<string, number>();
  for (const f of files) {
    const form = f.slice(0, -'.MOO.gz'.length);
    if (only.size > 0 && !only.has(form.toUpperCase())) continue;
    const file = parseMoo(zlib.gunzipSync(fs.readFileSync(path.join(folder, f))));
    const r = runner.runFile(form, file, meta, verbose ? 20 : 3);
    let sk = 0;
    for (const [why, n] of r.skipped) {
      sk += n;
      reasons.set(why, (reasons.get(why) ?? 0) + n);
    }
    passed += r.passed;
    failed += r.failed;
    skipped += sk;
    const note = sk > 0 ? `, ${sk} skipped (${[...r.skipped.keys()].join('; ')})` : '';
    process.stdout.write(
      `${form.padEnd(6)} ${r.name.padEnd(8)} ${r.passed} passed, ${r.failed} failed${note}\n`,
    );
    for (const d of r.failures) process.stdout.write(`         ${d}\n`);
  }
  for (const [why, n] of reasons) process.stdout.write(`skipped ${n}: ${why}\n`);
  process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
