import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `<dataDir>/demo`: what `coinstile demo` keeps between runs (store wallets, the demo store and its key). */
export function demoDir(dataDir: string): string {
  const dir = join(dataDir, 'demo');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Mode 0600 (it may hold an API key), written to a temp file and renamed: never half written. */
export function writePrivateJsonFile(file: string, content: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}
