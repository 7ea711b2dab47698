#!/usr/bin/env node
// `npm test`: the whole suite, from a fresh clone. Installs the system programs the tests start (as root on
// Debian, through apt), type-checks every workspace and every test, then runs jest. Extra arguments go to jest.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSystemPackages, installHint } from './system-deps.mjs';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', cwd: root });

const missing = ensureSystemPackages();
if (missing.length > 0) {
  console.error(installHint(missing));
  process.exit(1);
}

for (const [label, args] of [
  ['build', ['tsc', '-b']],
  ['type-check tests', ['tsc', '-p', 'tsconfig.test.json']],
]) {
  const r = run('npx', args);
  if (r.status !== 0) {
    console.error(`npm test: ${label} failed`);
    process.exit(r.status ?? 1);
  }
}

const out = join(mkdtempSync(join(tmpdir(), 'coinstile-jest-')), 'results.json');
const jest = run('npx', ['jest', '--json', `--outputFile=${out}`, ...process.argv.slice(2)]);
let summary = null;
try {
  summary = JSON.parse(readFileSync(out, 'utf8'));
} catch {
  // jest died before writing results; its exit status says enough.
}
rmSync(join(out, '..'), { recursive: true, force: true });
if (summary) {
  const failed = summary.numFailedTests + summary.numRuntimeErrorTestSuites;
  const skipped = summary.numPendingTests + summary.numTodoTests;
  console.log(`\njest: ${summary.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
}
process.exit(jest.status ?? 1);
