import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_TOKEN_CONTRACT, TEST_TOKEN_SOURCE } from './test-token-source';

export interface CompiledContract {
  readonly abi: readonly unknown[];
  /** Creation bytecode, 0x-prefixed. */
  readonly bytecode: string;
}

interface SolcOutput {
  errors?: Array<{ severity: 'error' | 'warning' | 'info'; formattedMessage: string }>;
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

const SOURCE_FILE = 'TestToken.sol';
const CACHE_DIR = join(tmpdir(), 'coinstile-solc-cache');

function standardInput(): string {
  return JSON.stringify({
    language: 'Solidity',
    sources: { [SOURCE_FILE]: { content: TEST_TOKEN_SOURCE } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { [SOURCE_FILE]: { [TEST_TOKEN_CONTRACT]: ['abi', 'evm.bytecode.object'] } },
    },
  });
}

/** solc-js takes seconds to load and compile, so the result is kept on disk for the next test files. */
function cacheFile(input: string): string {
  // The key covers the compiler too (the source pins `pragma solidity 0.8.28`, but a cache dir may
  // outlive an upgrade of the npm package).
  const solcVersion = (JSON.parse(readFileSync(require.resolve('solc/package.json'), 'utf8')) as { version: string })
    .version;
  return join(CACHE_DIR, `${createHash('sha256').update(`${solcVersion}\n${input}`).digest('hex')}.json`);
}

function readCached(file: string): CompiledContract | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CompiledContract;
  } catch {
    return undefined;
  }
}

/**
 * Runs `solc.compile` in a child node process. Loading solc-js (emscripten) installs a process-wide
 * `unhandledRejection` handler that rethrows, which must not leak into a jest worker; it also holds a few
 * hundred MB that are better released at once.
 */
function runSolcJs(standardInputJson: string): Promise<string> {
  const script = `const solc = require(${JSON.stringify(require.resolve('solc'))});
let input = '';
process.stdin.setEncoding('utf8').on('data', (chunk) => { input += chunk; }).on('end', () => {
  process.stdout.write(solc.compile(input));
});`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(stdout).toString('utf8'));
      else reject(new Error(`solc-js exited with ${String(code)}: ${Buffer.concat(stderr).toString('utf8').slice(-2000)}`));
    });
    child.stdin.end(standardInputJson);
  });
}

/** The test token compiled with solc-js (npm `solc`), from the on-disk cache when it is there. */
export async function compileTestToken(): Promise<CompiledContract> {
  const input = standardInput();
  const file = cacheFile(input);
  const cached = readCached(file);
  if (cached !== undefined) return cached;

  const output = JSON.parse(await runSolcJs(input)) as SolcOutput;
  const errors = (output.errors ?? []).filter((entry) => entry.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`solc could not compile ${SOURCE_FILE}:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  }
  const contract = output.contracts?.[SOURCE_FILE]?.[TEST_TOKEN_CONTRACT];
  if (contract === undefined) throw new Error(`solc output has no ${TEST_TOKEN_CONTRACT}`);
  const compiled: CompiledContract = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };

  // Two jest workers may compile at once: each writes its own temp file and renames it into place, which
  // is atomic, so a reader never sees half a file.
  mkdirSync(CACHE_DIR, { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, JSON.stringify(compiled));
  renameSync(temporary, file);
  return compiled;
}
