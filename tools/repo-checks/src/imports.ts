import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import type { PackageRule } from './rules.js';

/** One broken rule, with the file and line it was found at. */
export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

const builtins = new Set(builtinModules);

/** Node globals a platform-neutral module must not touch. */
const NODE_GLOBALS: readonly RegExp[] = [
  /\bprocess\s*\./,
  /\bBuffer\s*[.(]/,
  /\b__dirname\b/,
  /\b__filename\b/,
  /\brequire\s*\(/,
  /\bglobal\s*\./,
  /\bsetImmediate\s*\(/,
];

/** Blank out comments and the contents of string literals, keeping line structure. */
export function stripCommentsAndStrings(src: string, keepStrings: boolean): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && n === '*') {
      i += 2;
      while (i < src.length && !(src[i] === '*' && src[i + 1] === '/')) {
        if (src[i] === '\n') out += '\n';
        i++;
      }
      i += 2;
    } else if (c === "'" || c === '"' || c === '`') {
      out += c;
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\') {
          if (keepStrings) out += `${src[i]}${src[i + 1] ?? ''}`;
          i += 2;
          continue;
        }
        if (src[i] === '\n') out += '\n';
        else if (keepStrings) out += src[i];
        i++;
      }
      out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The module specifiers a source file imports (static, type-only, re-exports, dynamic `import()`
 * and `require()`), with their line numbers. Uses TypeScript's own pre-processor, so imports in
 * comments and strings do not count.
 */
export function importsOf(source: string): { spec: string; line: number }[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles
    .map((f) => ({ spec: f.fileName, line: lineOf(source, f.pos) }))
    .sort((a, b) => a.line - b.line);
}

/** The workspace package an import specifier names (`@genode-ts/vmm/x` → `@genode-ts/vmm`), if any. */
export function workspacePackageOf(spec: string): string | undefined {
  const m = /^(@genode-ts\/[^/]+)/.exec(spec);
  return m?.[1];
}

/** Whether a specifier names a Node built-in (`node:fs`, `fs`, `fs/promises`). */
export function isNodeBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0] as string);
}

/**
 * Check one source file of a package against its rule.
 * @param file path relative to the package folder, e.g. `src/cpu.ts`
 */
export function checkFile(rule: PackageRule, file: string, source: string): Violation[] {
  const violations: Violation[] = [];
  const isTest = /\.test\.ts$|(^|\/)(test|bench|scenarios)\//.test(file);
  const isNodeSide = isTest || file.startsWith('src/cli/') || file === 'vitest.config.ts';
  const neutral = rule.platformNeutral && !isNodeSide;
  for (const { spec, line } of importsOf(source)) {
    const target = workspacePackageOf(spec);
    if (target !== undefined && target !== rule.name && !rule.mayImport.includes(target)) {
      violations.push({ file, line, message: `${rule.name} may not import ${target}` });
    }
    if (target === undefined && spec.startsWith('.')) {
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      if (resolved.startsWith('../')) {
        violations.push({ file, line, message: `relative import leaves the package: ${spec}` });
      }
    }
    if (neutral && isNodeBuiltin(spec)) {
      violations.push({ file, line, message: `platform-neutral ${rule.name} imports Node built-in ${spec}` });
    }
  }
  if (neutral) {
    const code = stripCommentsAndStrings(source, false).split('\n');
    code.forEach((text, i) => {
      for (const re of NODE_GLOBALS) {
        if (re.test(text)) {
          violations.push({
            file,
            line: i + 1,
            message: `platform-neutral ${rule.name} uses a Node global: ${text.trim()}`,
          });
        }
      }
    });
  }
  return violations;
}

/** Check a package.json's dependency fields against the rule. */
export function checkManifest(rule: PackageRule, manifest: Record<string, unknown>): Violation[] {
  const violations: Violation[] = [];
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies']) {
    const deps = (manifest[field] ?? {}) as Record<string, string>;
    for (const dep of Object.keys(deps)) {
      if (dep.startsWith('@genode-ts/') && !rule.mayImport.includes(dep)) {
        violations.push({
          file: 'package.json',
          line: 0,
          message: `${field} names ${dep}, which ${rule.name} may not use`,
        });
      }
    }
  }
  return violations;
}
