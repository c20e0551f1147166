import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** All `.ts` files below `dir` (relative to dir), skipping build output and dependencies. */
export function tsFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (/\.(m|c)?ts$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}
