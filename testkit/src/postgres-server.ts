import { createHash, randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';
import { delay, ManagedProcess, readTail } from './managed-process';
import { registerCleanup } from './process-registry';
import { createTempDir, testkitTempRoot } from './temp-dir';
import { runToCompletion } from './run-to-completion';
import { ServerStartError } from './server-start-error';
import { lookupSystemUser, type SystemUser } from './system-user';

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/postgres (superuser, no password). */
  readonly url: string;
  readonly port: number;
  /** Creates a fresh empty database and returns its URL (unique name). Cheap; use one per test file. */
  createDatabase(name?: string): Promise<string>;
  /** SIGKILLs the postmaster (data kept); resolves once its backends are gone too. */
  kill9(): Promise<void>;
  /** Starts again on the same data dir and port (shuts a running server down first). */
  restart(): Promise<void>;
  /** Stops and deletes the data dir; idempotent. */
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
const READY_TIMEOUT_MS = 30_000;

/** The newest `/usr/lib/postgresql/<version>/bin` (Debian), else the programs on PATH. */
function postgresBinary(program: 'initdb' | 'postgres'): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((entry) => /^\d+(\.\d+)?$/.test(entry) && existsSync(join(root, entry, 'bin', program)))
      .sort((a, b) => Number(b) - Number(a));
    const newest = versions[0];
    if (newest !== undefined) return join(root, newest, 'bin', program);
  }
  return program;
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` system user. */
function serverUser(): SystemUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = lookupSystemUser('postgres');
  if (user === undefined) {
    throw new Error('startPostgres: running as root, but there is no `postgres` system user to run PostgreSQL as');
  }
  return user;
}

/** Pids whose parent is `pid` (from /proc). */
function childPidsOf(pid: number): number[] {
  const result: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat?.ppid === pid) result.push(Number(entry));
  }
  return result;
}

function readProcStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields after it start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** True when the process is gone or a zombie (nobody may reap orphans in a container). */
function isGone(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat === undefined || stat.state === 'Z' || stat.state === 'X';
}

function serverEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, LC_ALL: 'C', TZ: 'UTC' };
}

/**
 * An initdb-ed cluster shared by every server of the machine: `<testkit temp root>/coinstile-pgtemplate-
 * <key>/data`. initdb costs 0.6 s on a quiet machine and 2-3 s on a busy one; a copy of its 40 MB on tmpfs
 * about 0.1 s. The key covers the initdb binary and version, its arguments and the owner: an upgrade makes a
 * new one.
 * Built in a private dir and renamed into place, so parallel workers never see half a template.
 */
async function clusterTemplate(user: SystemUser | undefined): Promise<string> {
  const initdb = postgresBinary('initdb');
  // --no-sync: a test cluster need not survive an OS crash.
  const initdbArgs = ['-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'];
  const version = await runToCompletion(initdb, ['--version']);
  if (version.exitCode !== 0) {
    throw new ServerStartError(`${initdb} --version failed: is PostgreSQL installed?`, 'initdb output', version.output);
  }
  const key = createHash('sha256')
    .update([initdb, version.output, user?.uid ?? process.getuid?.(), ...initdbArgs].join('\n'))
    .digest('hex')
    .slice(0, 16);
  const template = join(testkitTempRoot(), `coinstile-pgtemplate-${key}`);
  if (existsSync(join(template, 'data', 'PG_VERSION'))) return template;

  const building = createTempDir(`coinstile-pgtemplate-${key}.building-`);
  if (user !== undefined) chownSync(building, user.uid, user.gid);
  const result = await runToCompletion(initdb, ['-D', join(building, 'data'), ...initdbArgs], {
    env: serverEnv(building),
    uid: user?.uid,
    gid: user?.gid,
    cwd: building,
  });
  if (result.exitCode !== 0) {
    rmSync(building, { recursive: true, force: true });
    throw new ServerStartError(`initdb failed (exit ${String(result.exitCode)})`, 'initdb output', result.output);
  }
  try {
    renameSync(building, template);
  } catch {
    // Another worker renamed its template into place first; theirs is as good as ours.
    rmSync(building, { recursive: true, force: true });
  }
  return template;
}

class TemporaryPostgres implements PostgresServer {
  readonly url: string;
  private process: ManagedProcess | undefined;
  private stopping: Promise<void> | undefined;
  private readonly dataDir: string;
  private readonly socketDir: string;
  private readonly logFile: string;
  private readonly unregisterCleanup: () => void;

  constructor(
    private readonly baseDir: string,
    readonly port: number,
    private readonly user: SystemUser | undefined,
  ) {
    this.dataDir = join(baseDir, 'data');
    this.socketDir = join(baseDir, 'socket');
    this.logFile = join(baseDir, 'postgres.log');
    this.url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
    this.unregisterCleanup = registerCleanup(() => rmSync(baseDir, { recursive: true, force: true }));
  }

  /** Copies the cluster template into this server's data dir (cp -a keeps the postgres ownership). */
  async initialize(): Promise<void> {
    const template = await clusterTemplate(this.user);
    const copy = await runToCompletion('cp', ['-a', join(template, 'data'), this.dataDir]);
    if (copy.exitCode !== 0) {
      throw new ServerStartError(`copying the cluster template ${template} failed`, 'cp output', copy.output);
    }
  }

  async start(): Promise<void> {
    if (this.stopping !== undefined) throw new Error('PostgresServer: already stopped');
    const postgres = ManagedProcess.start({
      name: 'postgres',
      command: postgresBinary('postgres'),
      args: [
        '-D', this.dataDir,
        '-c', 'listen_addresses=127.0.0.1',
        '-c', `port=${this.port}`,
        '-c', `unix_socket_directories=${this.socketDir}`,
        '-c', 'max_connections=200',
        // Test-only durability trade-offs. They only matter if the *machine* crashes: fsync=off still
        // write()s every commit to the OS, and torn pages (full_page_writes) need a power loss. A kill -9
        // of PostgreSQL loses nothing, which the kill9 tests rely on. synchronous_commit stays on for that
        // reason: with it off, a commit is acknowledged before its WAL leaves shared memory, and a kill -9
        // right after would lose it.
        '-c', 'fsync=off',
        '-c', 'full_page_writes=off',
      ],
      logFile: this.logFile,
      cwd: this.baseDir,
      env: serverEnv(this.baseDir),
      uid: this.user?.uid,
      gid: this.user?.gid,
    });
    this.process = postgres;
    await postgres.waitUntilReady(() => this.answersQueries(), READY_TIMEOUT_MS);
  }

  /** Whether the log tail says the port was taken, to tell a port clash from other start-up failures. */
  logMentionsPortInUse(): boolean {
    return /could not bind|Address already in use|could not create any TCP\/IP sockets/.test(
      readTail(this.logFile, 8000),
    );
  }

  private async answersQueries(): Promise<boolean> {
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async createDatabase(name?: string): Promise<string> {
    const database = name ?? `test_${randomBytes(6).toString('hex')}`;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) {
      throw new Error(`createDatabase: "${database}" is not a plain lower-case identifier`);
    }
    const client = new Client({ connectionString: this.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${database}"`);
    } finally {
      await client.end().catch(() => undefined);
    }
    return `postgres://${SUPERUSER}@127.0.0.1:${this.port}/${database}`;
  }

  async kill9(): Promise<void> {
    const postgres = this.process;
    if (postgres === undefined || postgres.hasExited) return;
    const backends = childPidsOf(postgres.pid);
    await postgres.kill9();
    // Backends notice the postmaster's death and exit on their own; a new postmaster cannot start while
    // they still hold the old shared memory, so wait for them (and SIGKILL stragglers).
    const deadline = Date.now() + 10_000;
    while (!backends.every(isGone)) {
      if (Date.now() > deadline) {
        for (const pid of backends) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Gone meanwhile.
          }
        }
      }
      await delay(20);
    }
  }

  async restart(): Promise<void> {
    const postgres = this.process;
    if (postgres !== undefined && !postgres.hasExited) await postgres.stop('SIGINT', 15_000);
    await this.start();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, no waiting for them to leave.
      if (this.process !== undefined) await this.process.stop('SIGINT', 15_000);
      rmSync(this.baseDir, { recursive: true, force: true });
      this.unregisterCleanup();
    })();
    return this.stopping;
  }
}

/**
 * Starts a temporary PostgreSQL cluster (initdb into a temp dir, postgres on 127.0.0.1 at a free port).
 * Resolves once it answers queries; throws {@link ServerStartError} with the log tail if it does not.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const user = serverUser();
  for (let attempt = 1; ; attempt++) {
    const baseDir = createTempDir('coinstile-pg-');
    mkdirSync(join(baseDir, 'socket'));
    if (user !== undefined) {
      chownSync(baseDir, user.uid, user.gid);
      chownSync(join(baseDir, 'socket'), user.uid, user.gid);
    }
    const server = new TemporaryPostgres(baseDir, await freePort(), user);
    try {
      await server.initialize();
      await server.start();
      return server;
    } catch (error) {
      const portClash = server.logMentionsPortInUse();
      await server.stop();
      // Another process may take the port between freePort() and the bind; try another one.
      if (!portClash || attempt >= 3) throw error;
    }
  }
}
