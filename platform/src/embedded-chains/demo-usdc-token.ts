import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The demo "USDC" of the embedded Hardhat chain: an ERC-20 with USDC's 6 decimals and the standard surface
 * a payment verifier sees (transfer, approve, transferFrom, Transfer and Approval events). The deployer
 * (Hardhat's account 0) receives a trillion tokens. The constructor takes no arguments, so the creation
 * transaction is the bytecode alone.
 */
export const DEMO_USDC_CONTRACT_NAME = 'CoinstileDemoUsdc';
export const DEMO_USDC_DECIMALS = 6;

const SOURCE_FILE = 'CoinstileDemoUsdc.sol';
const SOURCE = `// SPDX-License-Identifier: AGPL-3.0-only
pragma solidity 0.8.28;

contract CoinstileDemoUsdc {
    string public constant name = "USD Coin (Coinstile demo)";
    string public constant symbol = "USDC";
    uint8 public constant decimals = ${DEMO_USDC_DECIMALS};
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor() {
        totalSupply = 1000000000000 * 10 ** ${DEMO_USDC_DECIMALS};
        balanceOf[msg.sender] = totalSupply;
        emit Transfer(address(0), msg.sender, totalSupply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= value, "ERC20: insufficient allowance");
        if (allowed != type(uint256).max) {
            allowance[from][msg.sender] = allowed - value;
        }
        _transfer(from, to, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) private {
        require(to != address(0), "ERC20: transfer to the zero address");
        uint256 balance = balanceOf[from];
        require(balance >= value, "ERC20: transfer amount exceeds balance");
        unchecked {
            balanceOf[from] = balance - value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
`;

interface SolcOutput {
  errors?: Array<{ severity: 'error' | 'warning' | 'info'; formattedMessage: string }>;
  contracts?: Record<string, Record<string, { evm: { bytecode: { object: string } } }>>;
}

/**
 * The creation bytecode (0x…) of the demo token, compiled with solc-js (npm `solc`, resolved by
 * `solcModule`) in a child process: loading solc-js installs a process-wide `unhandledRejection` handler
 * and holds a few hundred MB, neither of which belongs in Coinstile. The result is kept in `cacheDir`
 * (keyed by compiler version and input), so only the first start pays the few seconds.
 */
export async function demoUsdcBytecode(solcModule: string, solcVersion: string, cacheDir: string): Promise<string> {
  const input = JSON.stringify({
    language: 'Solidity',
    sources: { [SOURCE_FILE]: { content: SOURCE } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { [SOURCE_FILE]: { [DEMO_USDC_CONTRACT_NAME]: ['evm.bytecode.object'] } },
    },
  });
  const key = createHash('sha256').update(`${solcVersion}\n${input}`).digest('hex').slice(0, 16);
  const cacheFile = join(cacheDir, `demo-usdc-${key}.json`);
  try {
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { bytecode?: unknown };
    if (typeof cached.bytecode === 'string' && /^0x[0-9a-f]+$/.test(cached.bytecode)) return cached.bytecode;
  } catch {
    // not compiled yet
  }
  const output = JSON.parse(await runSolcJs(solcModule, input)) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc could not compile the demo token:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const object = output.contracts?.[SOURCE_FILE]?.[DEMO_USDC_CONTRACT_NAME]?.evm.bytecode.object;
  if (object === undefined || object === '') throw new Error(`solc output has no ${DEMO_USDC_CONTRACT_NAME}`);
  const bytecode = `0x${object}`;
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ bytecode }));
  renameSync(temporary, cacheFile);
  return bytecode;
}

function runSolcJs(solcModule: string, input: string): Promise<string> {
  const script = `const solc = require(${JSON.stringify(solcModule)});
let input = '';
process.stdin.setEncoding('utf8').on('data', (chunk) => { input += chunk; }).on('end', () => {
  process.stdout.write(solc.compile(input));
});`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(stdout).toString('utf8'));
      else reject(new Error(`solc-js exited with ${String(code)}: ${Buffer.concat(stderr).toString('utf8').slice(-2000)}`));
    });
    child.stdin.end(input);
  });
}
