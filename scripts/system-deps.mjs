// The system programs Coinstile's tests and embedded mode run, and how to get them.
// Used by `npm test` (installs what is missing when it can) and by `coinstile start` (explains what is missing).
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

function onPath(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

function postgresBinDir() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).filter((v) => existsSync(`${base}/${v}/bin/initdb`)).sort((a, b) => Number(b) - Number(a));
  return versions.length ? `${base}/${versions[0]}/bin` : null;
}

/** Each requirement: what it is for, whether it is present, and the Debian package that provides it. */
export const requirements = [
  { what: 'PostgreSQL server (initdb, pg_ctl, postgres)', debian: 'postgresql', present: () => postgresBinDir() !== null || onPath('initdb') },
  { what: 'redis-server', debian: 'redis-server', present: () => onPath('redis-server') },
  { what: 'litecoind (regtest chain for tests)', debian: 'litecoind', present: () => onPath('litecoind') && onPath('litecoin-cli') },
  { what: 'Chromium (page tests through playwright-core)', debian: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  { what: 'xmllint (bank file validation)', debian: 'libxml2-utils', present: () => onPath('xmllint') },
];

export function missingRequirements() {
  return requirements.filter((r) => !r.present());
}

/** Installs missing packages through apt when running as root on Debian; returns the ones still missing. */
export function ensureSystemPackages({ log = console.log } = {}) {
  let missing = missingRequirements();
  if (missing.length === 0) return [];
  const pkgs = missing.map((m) => m.debian);
  const canApt = process.getuid?.() === 0 && onPath('apt-get');
  if (canApt) {
    log(`Installing missing system packages through apt: ${pkgs.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const upd = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    if (upd.status !== 0) log('apt-get update failed; trying the install anyway');
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
    missing = missingRequirements();
  }
  return missing;
}

export function installHint(missing) {
  const pkgs = missing.map((m) => m.debian).join(' ');
  return [
    'Missing system programs:',
    ...missing.map((m) => `  - ${m.what} (Debian package: ${m.debian})`),
    `Install them with:  sudo apt-get install -y ${pkgs}`,
  ].join('\n');
}
