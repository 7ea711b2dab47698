import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@coinstile/testkit';

/** The Coinstile processes of a chaos run, as `coinstile <service>` runs them in production. */
export const FLEET_MEMBERS = ['gateway-a', 'gateway-b', 'verifier', 'fx', 'payouts-a', 'payouts-b'] as const;
export type FleetMemberName = (typeof FLEET_MEMBERS)[number];

type ServiceName = 'gateway' | 'verifier' | 'fx' | 'payouts';

const SERVICE_OF: Readonly<Record<FleetMemberName, ServiceName>> = {
  'gateway-a': 'gateway',
  'gateway-b': 'gateway',
  verifier: 'verifier',
  fx: 'fx',
  'payouts-a': 'payouts',
  'payouts-b': 'payouts',
};

/** A process that died without being told to (a crash, not a kill of the run). */
export interface UnexpectedExit {
  readonly member: FleetMemberName;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly atMs: number;
  readonly logTail: string;
}

export interface FleetOptions {
  /** The environment every process shares (DATABASE_URL, REDIS_URL, chain URLs, …); PORT and the rest are added per process. */
  readonly env: NodeJS.ProcessEnv;
  /** Logs and data folders go here, one per process. */
  readonly runDir: string;
  /** `cli/dist/main.js` of the built tree. */
  readonly cliMain: string;
  /** How long a crashed process stays down before the supervisor starts it again. */
  readonly crashRestartDelayMs?: number;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((candidate) => existsSync(candidate));
const READY_TIMEOUT_MS = 90_000;

interface Member {
  readonly name: FleetMemberName;
  readonly port: number;
  readonly logFile: string;
  child: ChildProcess | undefined;
  exited: Promise<void>;
  /** Set while the run (not a crash) is taking the process down. */
  expectingExit: boolean;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * Runs each member in its own process group (`setpriv --pdeathsig SIGKILL`, so nothing outlives the
 * runner even if it is killed itself) and acts as its supervisor: a member that crashes is started again
 * after a short pause, as systemd's `Restart=always` would. The run's own kills go through `kill9`.
 */
export class CoinstileFleet {
  readonly #members: Map<FleetMemberName, Member>;
  readonly #unexpectedExits: UnexpectedExit[] = [];
  readonly #starts = new Map<FleetMemberName, number>();
  #stopping = false;

  private constructor(
    private readonly opts: FleetOptions,
    members: Member[],
  ) {
    this.#members = new Map(members.map((m) => [m.name, m]));
  }

  /** Starts every member: gateway-a first (it applies the migrations), then the rest; resolves when all answer /readyz. */
  static async start(opts: FleetOptions): Promise<CoinstileFleet> {
    if (!existsSync(opts.cliMain)) throw new Error(`${opts.cliMain} is missing: run \`npx tsc -b\` first`);
    const members: Member[] = [];
    for (const name of FLEET_MEMBERS) {
      const dir = join(opts.runDir, name);
      mkdirSync(dir, { recursive: true });
      members.push({ name, port: await freePort(), logFile: join(dir, 'coinstile.log'), child: undefined, exited: Promise.resolve(), expectingExit: false, restartTimer: undefined });
    }
    const fleet = new CoinstileFleet(opts, members);
    try {
      fleet.#spawn('gateway-a');
      await fleet.waitReady('gateway-a');
      for (const name of FLEET_MEMBERS.slice(1)) fleet.#spawn(name);
      await Promise.all(FLEET_MEMBERS.slice(1).map((name) => fleet.waitReady(name)));
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  /** Base URLs of the two gateways. */
  get gatewayUrls(): readonly string[] {
    return (['gateway-a', 'gateway-b'] as const).map((name) => `http://127.0.0.1:${this.#member(name).port}`);
  }

  get unexpectedExits(): readonly UnexpectedExit[] {
    return this.#unexpectedExits;
  }

  /** How many times each member was started (the first start included). */
  get starts(): ReadonlyMap<FleetMemberName, number> {
    return this.#starts;
  }

  isUp(name: FleetMemberName): boolean {
    const child = this.#member(name).child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** SIGKILLs the member's whole process group and waits for the exit; it stays down until `restart`. */
  async kill9(name: FleetMemberName): Promise<void> {
    const member = this.#member(name);
    if (!this.isUp(name)) return;
    member.expectingExit = true;
    killGroup(member.child!, 'SIGKILL');
    await member.exited;
  }

  /** Starts a member that is down (no-op when it runs or the fleet is stopping). */
  restart(name: FleetMemberName): void {
    if (this.#stopping || this.isUp(name)) return;
    const member = this.#member(name);
    clearTimeout(member.restartTimer);
    member.restartTimer = undefined;
    this.#spawn(name);
  }

  /** Polls `GET /readyz` until it answers 200 (the member restarting on its own after a crash included). */
  async waitReady(name: FleetMemberName, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const member = this.#member(name);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${member.port}/readyz`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`${name} not ready after ${timeoutMs} ms; log tail:\n${tail(member.logFile)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** SIGTERM to every group (graceful shutdown), SIGKILL after 15 s. Idempotent. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const members = [...this.#members.values()];
    for (const member of members) {
      clearTimeout(member.restartTimer);
      if (member.child !== undefined && member.child.exitCode === null && member.child.signalCode === null) {
        member.expectingExit = true;
        killGroup(member.child, 'SIGTERM');
      }
    }
    await Promise.all(
      members.map(async (member) => {
        const timer = setTimeout(() => member.child && killGroup(member.child, 'SIGKILL'), 15_000);
        await member.exited;
        clearTimeout(timer);
        // The group's leader is gone; anything it left in its group goes too.
        if (member.child?.pid !== undefined) killGroupByPid(member.child.pid, 'SIGKILL');
      }),
    );
  }

  logFile(name: FleetMemberName): string {
    return this.#member(name).logFile;
  }

  #member(name: FleetMemberName): Member {
    const member = this.#members.get(name);
    if (member === undefined) throw new Error(`no fleet member ${name}`);
    return member;
  }

  #spawn(name: FleetMemberName): void {
    const member = this.#member(name);
    const dir = join(this.opts.runDir, name);
    const env: NodeJS.ProcessEnv = {
      ...this.opts.env,
      PORT: String(member.port),
      PUBLIC_URL: `http://127.0.0.1:${member.port}`,
      COINSTILE_DATA_DIR: join(dir, 'data'),
      NODE_OPTIONS: '',
    };
    const command = [process.execPath, this.opts.cliMain, SERVICE_OF[name]];
    const [file, args] = SETPRIV === undefined ? [command[0]!, command.slice(1)] : [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', ...command]];
    const logFd = openSync(member.logFile, 'a');
    const child = spawn(file, args, { cwd: dir, env, detached: true, stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    member.child = child;
    member.expectingExit = false;
    this.#starts.set(name, (this.#starts.get(name) ?? 0) + 1);
    member.exited = new Promise((resolve) => {
      child.once('error', () => resolve());
      child.once('exit', (code, signal) => {
        if (!member.expectingExit && !this.#stopping) {
          this.#unexpectedExits.push({ member: name, code, signal, atMs: Date.now(), logTail: tail(member.logFile) });
          member.restartTimer = setTimeout(() => this.restart(name), this.opts.crashRestartDelayMs ?? 1_000);
        }
        resolve();
      });
    });
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined) killGroupByPid(child.pid, signal);
}

function killGroupByPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

function tail(file: string, maxChars = 3_000): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-maxChars);
  } catch {
    return '';
  }
}
