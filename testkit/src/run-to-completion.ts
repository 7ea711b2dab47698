import { execFile } from 'node:child_process';

export interface RunResult {
  readonly exitCode: number | null;
  /** stdout and stderr, interleaved as far as the pipes allow. */
  readonly output: string;
}

/** Runs a short-lived command (initdb, a version query) and returns its exit code and output. */
export function runToCompletion(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number; timeoutMs?: number } = {},
): Promise<RunResult> {
  const asUser = process.getuid?.() === 0 && options.uid !== undefined;
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        ...(asUser ? { uid: options.uid, gid: options.gid } : {}),
      },
      (error, stdout, stderr) => {
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        const spawnProblem = error !== null && typeof error.code === 'string' ? `${error.message}\n` : '';
        resolve({ exitCode, output: `${spawnProblem}${stdout}${stderr}` });
      },
    );
  });
}
