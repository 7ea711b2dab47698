import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OWNER_FILE = '.coinstile-owner-pid';
/** A dir younger than this is never swept: its owner may have written the dir but not yet the pid file. */
const SWEEP_MIN_AGE_MS = 60_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes dirs with this prefix left behind by test processes that died without cleaning up (a jest
 * worker killed with SIGKILL: its servers die with it through PR_SET_PDEATHSIG, but no code of ours runs).
 * Only dirs that carry an owner pid file whose process is gone are touched.
 */
function sweepAbandoned(prefix: string): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((entry) => entry.startsWith(prefix));
  } catch {
    return;
  }
  for (const entry of entries) {
    const dir = join(tmpdir(), entry);
    try {
      const ownerPid = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
      if (!Number.isInteger(ownerPid) || ownerPid <= 0 || isAlive(ownerPid)) continue;
      if (Date.now() - statSync(dir).mtimeMs < SWEEP_MIN_AGE_MS) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Not ours, or another process swept it first.
    }
  }
}

/**
 * A fresh dir `<tmpdir>/<prefix>XXXXXX`, marked with this process's pid so that a later run can remove it
 * if this process dies without doing so. Abandoned dirs of the same prefix are swept first.
 */
export function createTempDir(prefix: string): string {
  sweepAbandoned(prefix);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  return dir;
}
