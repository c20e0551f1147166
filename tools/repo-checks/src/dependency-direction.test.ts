import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFile, checkManifest, importsOf } from './imports.js';
import { ROOT, readJson, tsFiles } from './repo.js';
import { RULES } from './rules.js';

describe('dependency direction of DESIGN.md, over the real tree', () => {
  it('knows every workspace package', () => {
    const dirs = ['packages', 'apps'].flatMap((d) =>
      fs
        .readdirSync(path.join(ROOT, d))
        .filter((n) => fs.existsSync(path.join(ROOT, d, n, 'package.json')))
        .map((n) => `${d}/${n}`),
    );
    expect(dirs.sort()).toEqual(RULES.map((r) => r.dir).sort());
  });

  for (const rule of RULES) {
    it(`${rule.name} imports only what its row allows`, () => {
      const dir = path.join(ROOT, rule.dir);
      const files = tsFiles(dir);
      expect(files.length).toBeGreaterThan(0);
      const violations = files.flatMap((f) => checkFile(rule, f, fs.readFileSync(path.join(dir, f), 'utf8')));
      violations.push(...checkManifest(rule, readJson(path.join(dir, 'package.json'))));
      expect(violations).toEqual([]);
    });
  }
});

describe('the checker itself', () => {
  const rule = (name: string) => RULES.find((r) => r.name === name)!;

  it('finds static, dynamic, re-export and type imports at the line of their specifier', () => {
    const src = [
      "import { a } from './a.js';",
      "import type { B } from '@genode-ts/vmm';",
      "export * from '@genode-ts/x86-core/internal/x';",
      'const m = await import("node:fs");',
      "// import { c } from '@genode-ts/demo';",
      'const s = \'import x from "@genode-ts/demo"\';',
      'import {',
      '  d,',
      "} from '@genode-ts/genode-base';",
    ].join('\n');
    expect(importsOf(src)).toEqual([
      { spec: './a.js', line: 1 },
      { spec: '@genode-ts/vmm', line: 2 },
      { spec: '@genode-ts/x86-core/internal/x', line: 3 },
      { spec: 'node:fs', line: 4 },
      { spec: '@genode-ts/genode-base', line: 9 },
    ]);
  });

  it('fails a kernel importing vmm', () => {
    const v = checkFile(
      rule('@genode-ts/kernel-nova'),
      'src/vcpu.ts',
      "import { Vmm } from '@genode-ts/vmm';",
    );
    expect(v).toEqual([
      { file: 'src/vcpu.ts', line: 1, message: '@genode-ts/kernel-nova may not import @genode-ts/vmm' },
    ]);
  });

  it('fails genode-base importing a kernel, and anything importing apps', () => {
    expect(
      checkFile(rule('@genode-ts/genode-base'), 'src/env.ts', "import '@genode-ts/kernel-nova';"),
    ).toHaveLength(1);
    expect(checkFile(rule('@genode-ts/vmm'), 'src/x.ts', "import '@genode-ts/demo';")).toHaveLength(1);
    expect(
      checkFile(rule('@genode-ts/x86-core'), 'src/x.ts', "import '@genode-ts/genode-base';"),
    ).toHaveLength(1);
  });

  it('fails Node built-ins and globals in platform-neutral code, allows them in tests and bins', () => {
    const x86 = rule('@genode-ts/x86-core');
    expect(checkFile(x86, 'src/cpu.ts', "import fs from 'node:fs';")).toHaveLength(1);
    expect(checkFile(x86, 'src/cpu.ts', "import { readFileSync } from 'fs';")).toHaveLength(1);
    expect(checkFile(x86, 'src/cpu.ts', 'const t = process.hrtime();')).toHaveLength(1);
    expect(checkFile(x86, 'src/cpu.ts', 'const b = Buffer.from([1]);')).toHaveLength(1);
    expect(checkFile(x86, 'src/cpu.ts', '// process.exit() is not used\nconst s = "Buffer.from";')).toEqual(
      [],
    );
    expect(checkFile(x86, 'src/cpu.test.ts', "import fs from 'node:fs';\nprocess.exit();")).toEqual([]);
    expect(checkFile(x86, 'src/cli/run.ts', "import fs from 'node:fs';")).toEqual([]);
    expect(checkFile(rule('@genode-ts/demo'), 'src/cli.ts', "import fs from 'node:fs';")).toEqual([]);
  });

  it('fails relative imports that reach into another package', () => {
    const v = checkFile(
      rule('@genode-ts/vmm'),
      'src/a/b.ts',
      "import x from '../../../kernel-nova/src/index.js';",
    );
    expect(v.map((x) => x.message)).toEqual([
      'relative import leaves the package: ../../../kernel-nova/src/index.js',
    ]);
    expect(checkFile(rule('@genode-ts/vmm'), 'src/a/b.ts', "import x from '../c.js';")).toEqual([]);
  });

  it('fails a manifest that depends on a forbidden package', () => {
    const v = checkManifest(rule('@genode-ts/genode-base'), {
      dependencies: { '@genode-ts/kernel-nova': 'workspace:^' },
    });
    expect(v).toHaveLength(1);
  });
});
