import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, readJson } from './repo.js';
import { RULES } from './rules.js';

const libraries = RULES.filter((r) => r.dir.startsWith('packages/'));

describe('package conventions (CONVENTIONS.md)', () => {
  for (const lib of libraries) {
    describe(lib.name, () => {
      const dir = path.join(ROOT, lib.dir);
      const pkg = readJson(path.join(dir, 'package.json')) as Record<string, any>;

      it('is an ESM, side-effect-free, public package for Node >= 20.19', () => {
        expect(pkg.name).toBe(lib.name);
        expect(pkg.type).toBe('module');
        expect(pkg.sideEffects).toBe(false);
        expect(pkg.engines).toEqual({ node: '>=20.19' });
        expect(pkg.license).toBe('MIT');
        expect(pkg.publishConfig).toEqual({ access: 'public' });
        expect(pkg.private).toBeUndefined();
      });

      it('exports the source condition first, then types, then default; hides internals', () => {
        const root = pkg.exports['.'];
        expect(Object.keys(root)).toEqual(['@genode-ts/source', 'types', 'default']);
        expect(root['@genode-ts/source']).toBe('./src/index.ts');
        expect(pkg.exports['./package.json']).toBe('./package.json');
        expect(pkg.exports['./internal/*']).toBeNull();
        for (const [sub, target] of Object.entries(pkg.exports as Record<string, any>)) {
          if (target && typeof target === 'object') {
            expect(Object.keys(target)[0], sub).toBe('@genode-ts/source');
            expect(fs.existsSync(path.join(dir, target['@genode-ts/source'])), sub).toBe(true);
          }
        }
      });

      it('publishes dist and src without tests, and has README, CHANGELOG and LICENSE', () => {
        expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'src', '!**/*.test.*']));
        for (const f of ['README.md', 'CHANGELOG.md', 'LICENSE', 'src/index.ts']) {
          expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
        }
      });

      it('takes the interface it implements as a peer dependency', () => {
        for (const dep of ['@genode-ts/genode-base']) {
          if (lib.mayImport.includes(dep)) {
            expect(pkg.peerDependencies?.[dep]).toBe('workspace:^');
            expect(pkg.dependencies?.[dep]).toBeUndefined();
          }
        }
      });

      it('index.ts only re-exports', () => {
        const src = fs.readFileSync(path.join(dir, 'src/index.ts'), 'utf8');
        const statements = src
          .split('\n')
          .filter(
            (l) =>
              l.trim() &&
              !l.trim().startsWith('//') &&
              !l.trim().startsWith('*') &&
              !l.trim().startsWith('/*'),
          );
        const joined = statements.join('\n');
        expect(
          joined.replace(/export\s+(type\s+)?(\*|\{[^}]*\})(\s+as\s+\w+)?\s+from\s+'[^']+';/g, '').trim(),
        ).toBe('');
      });
    });
  }

  it('changesets: public access, main branch, no fixed group, demo ignored', () => {
    const cfg = readJson(path.join(ROOT, '.changeset/config.json')) as Record<string, any>;
    expect(cfg.access).toBe('public');
    expect(cfg.baseBranch).toBe('main');
    expect(cfg.updateInternalDependencies).toBe('patch');
    expect(cfg.fixed).toEqual([]);
    expect(cfg.ignore).toEqual(['@genode-ts/demo']);
  });

  it('pins pnpm in packageManager and installs before scripts run', () => {
    const root = readJson(path.join(ROOT, 'package.json')) as Record<string, any>;
    expect(root.packageManager).toBe('pnpm@10.34.9');
    expect(fs.readFileSync(path.join(ROOT, 'pnpm-workspace.yaml'), 'utf8')).toMatch(
      /^verifyDepsBeforeRun: install$/m,
    );
  });

  it('the demo is private and has the genode-ts-demo bin', () => {
    const demo = readJson(path.join(ROOT, 'apps/demo/package.json')) as Record<string, any>;
    expect(demo.private).toBe(true);
    expect(demo.bin).toEqual({ 'genode-ts-demo': './dist/cli.js' });
  });
});
