#!/usr/bin/env node
// The README's test command: Biome, the type check, every package's vitest suite, and the package
// checks (pack, publint, import from a scratch project). Ends with one line "N passed, N failed".
// Plain Node (no dependencies of its own) so that it runs before anything is built.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  FORCE_COLOR: process.env.FORCE_COLOR ?? '0',
};
let passed = 0;
let failed = 0;
const failures = [];

function section(title) {
  process.stdout.write(`\n=== ${title} ===\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  if (r.error) process.stdout.write(`${cmd}: ${r.error.message}\n`);
  return r.status === 0;
}

function check(name, ok) {
  if (ok) passed++;
  else {
    failed++;
    failures.push(name);
  }
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}\n`);
}

const workspaces = ['packages', 'apps', 'tools'].flatMap((d) =>
  fs.existsSync(path.join(root, d))
    ? fs
        .readdirSync(path.join(root, d))
        .filter((n) => fs.existsSync(path.join(root, d, n, 'package.json')))
        .map((n) => {
          const dir = path.join(root, d, n);
          return {
            dir,
            rel: `${d}/${n}`,
            pkg: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')),
          };
        })
    : [],
);

// pnpm itself: the one that runs this script (npm_execpath), else the pinned one through npx.
const pnpmExec = process.env.npm_execpath?.includes('pnpm')
  ? [process.execPath, process.env.npm_execpath]
  : ['npx', '-y', JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).packageManager];

// turbo looks for the package manager's binary on PATH: give it the pnpm that runs this script.
const shimDir = fs.mkdtempSync(path.join(os.tmpdir(), 'genode-ts-pnpm-'));
fs.writeFileSync(
  path.join(shimDir, 'pnpm'),
  `#!/bin/sh\nexec ${pnpmExec.map((a) => `'${a}'`).join(' ')} "$@"\n`,
  { mode: 0o755 },
);
env.PATH = `${shimDir}${path.delimiter}${env.PATH ?? ''}`;

section('biome');
check('biome ci', run(bin('biome'), ['ci', '--colors=off', '.']));

section('type check and build (tsc -b)');
check('tsc -b', run(bin('tsc'), ['-b']));

section('vitest, every package');
for (const w of workspaces) fs.rmSync(path.join(w.dir, '.vitest-result.json'), { force: true });
run(bin('turbo'), ['run', 'test', '--continue', '--output-logs=full', '--log-order=grouped']);
for (const w of workspaces.filter((w) => w.pkg.scripts?.test)) {
  const file = path.join(w.dir, '.vitest-result.json');
  if (!fs.existsSync(file)) {
    check(`${w.pkg.name}: vitest wrote no result`, false);
    continue;
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  if (r.numFailedTests > 0) failures.push(`${w.pkg.name}: ${r.numFailedTests} tests failed`);
  if (!r.success && r.numFailedTests === 0) {
    // A suite that failed to load has no failed tests but must still fail the run.
    const n = Math.max(1, r.numFailedTestSuites);
    failed += n;
    failures.push(`${w.pkg.name}: ${n} suites failed to run`);
  }
  process.stdout.write(
    `${w.pkg.name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped\n`,
  );
}

section('package checks: pack, publint, import by name from a scratch project');
const libraries = workspaces.filter((w) => w.rel.startsWith('packages/') && !w.pkg.private);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'genode-ts-pack-'));
const tarballs = [];
for (const w of libraries) {
  const before = new Set(fs.readdirSync(scratch));
  const ok = run(pnpmExec[0], [...pnpmExec.slice(1), 'pack', '--pack-destination', scratch], {
    cwd: w.dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tgz = fs.readdirSync(scratch).find((f) => f.endsWith('.tgz') && !before.has(f));
  check(`${w.pkg.name}: pnpm pack`, ok && tgz !== undefined);
  if (tgz) tarballs.push({ w, tgz: path.join(scratch, tgz) });
}
let publint;
try {
  ({ publint } = await import(path.join(root, 'node_modules/publint/src/index-node.js')));
} catch (e) {
  process.stdout.write(`cannot load publint: ${e.message}\n`);
}
const { formatMessage } = await import(path.join(root, 'node_modules/publint/src/utils.js')).catch(
  () => ({}),
);
for (const { w, tgz } of tarballs) {
  if (!publint) {
    check(`${w.pkg.name}: publint`, false);
    continue;
  }
  const buf = fs.readFileSync(tgz);
  const { messages, pkg } = await publint({
    pack: { tarball: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) },
    level: 'warning',
    strict: true,
  });
  for (const m of messages)
    process.stdout.write(`  publint ${m.type}: ${formatMessage ? formatMessage(m, pkg) : m.code}\n`);
  check(`${w.pkg.name}: publint accepts the tarball`, messages.length === 0);
}
if (tarballs.length > 0) {
  const proj = path.join(scratch, 'consumer');
  fs.mkdirSync(proj);
  fs.writeFileSync(
    path.join(proj, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  const installed = run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.map((t) => t.tgz)],
    {
      cwd: proj,
    },
  );
  check('scratch project installs every tarball', installed);
  for (const { w } of tarballs) {
    const code = `const m = await import(${JSON.stringify(w.pkg.name)}); const n = Object.keys(m).length; if (n === 0) throw new Error('no exports'); console.log('  ${w.pkg.name}: ' + n + ' exports');`;
    check(
      `${w.pkg.name}: imports by name`,
      installed && run(process.execPath, ['--input-type=module', '-e', code], { cwd: proj }),
    );
  }
}
fs.rmSync(scratch, { recursive: true, force: true });
fs.rmSync(shimDir, { recursive: true, force: true });

if (failures.length > 0) process.stdout.write(`\nfailed:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
