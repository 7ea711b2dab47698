/** Small pieces several benchmarks share. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ModuleKind, ScriptTarget, transpileModule } from 'typescript';

/** The value at percentile `p` (0–100) of ascending `sorted` (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((sorted.length * p) / 100) - 1)]!;
}

/** CPU seconds (user + system) process `pid` has used so far, from `/proc/<pid>/stat` (10 ms ticks). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * `tsFile` as plain JavaScript in the `out/` folder beside it, for a child process run by plain `node`, as
 * production runs Coinstile. Under ts-node a process also loads Node's REPL, and with it the `domain`
 * module, which wraps every EventEmitter's construction and `emit` (~9 % of the gateway's time per
 * checkout in an interleaved comparison): a cost production does not have.
 */
export function transpiledToOut(tsFile: string): string {
  const { outputText } = transpileModule(readFileSync(tsFile, 'utf8'), {
    compilerOptions: { module: ModuleKind.CommonJS, target: ScriptTarget.ES2022, esModuleInterop: true },
    fileName: basename(tsFile),
  });
  const outDir = join(dirname(tsFile), 'out');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, basename(tsFile).replace(/\.ts$/, '.js'));
  writeFileSync(file, outputText);
  return file;
}
