import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Core is the pure domain: it may import only its own files and decimal.js, never I/O or Node. */
const ALLOWED_PACKAGES = new Set(['decimal.js']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Every module specifier: static imports/exports, `import type`, dynamic `import()` and `require()`. */
export function importSpecifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1] ?? ''));
}

test('the scanner sees every import form', () => {
  const sample = [
    "import fs from 'node:fs';",
    "import { x } from \"pg\";",
    "import type { Y } from 'kysely';",
    "export * from 'redis';",
    "export { z } from './local';",
    "const m = await import('http');",
    "const c = require('child_process');",
    "import 'side-effect';",
  ].join('\n');
  expect(importSpecifiers(sample).sort()).toEqual(['./local', 'child_process', 'http', 'kysely', 'node:fs', 'pg', 'redis', 'side-effect'].sort());
});

test('core/src imports nothing but relative modules and decimal.js (tests may also use jest tooling)', () => {
  const root = __dirname;
  const offenders: string[] = [];
  const files = sourceFiles(root);
  expect(files.length).toBeGreaterThan(20);
  // This file holds forbidden specifiers as scanner samples, and is itself only a test.
  for (const file of files.filter((f) => f !== __filename)) {
    const isTest = file.endsWith('.test.ts') || file.includes(`${join('/', '__tests__', '/')}`);
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('./') || spec.startsWith('../')) continue;
      if (ALLOWED_PACKAGES.has(spec)) continue;
      // Tests run under Node: fast-check, and node:fs/node:path for this very scan.
      if (isTest && (spec === 'fast-check' || spec === 'node:fs' || spec === 'node:path')) continue;
      offenders.push(`${relative(root, file)}: ${spec}`);
    }
  }
  expect(offenders).toEqual([]);
});
