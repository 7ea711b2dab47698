import {
  bitcoinRpc,
  type Config,
  DEMO_USDC_DECIMALS,
  DEMO_WALLET_NAME,
  evmRpc,
  HARDHAT_CHAIN_ID,
  readEmbeddedHardhatEndpoint,
  readEmbeddedLitecoindEndpoint,
} from '@coinstile/platform';
import { parseUnits } from 'ethers';

/** Where the demo pays from on Litecoin regtest: the embedded node's `coinstile-demo` wallet. */
export class DemoLitecoinPayer {
  private miningAddress: string | undefined;

  constructor(
    readonly rpcUrl: string,
    readonly walletRpcUrl: string,
  ) {}

  /** `sendtoaddress` of the exact amount due (a decimal string in LTC); returns the txid. */
  pay(address: string, amountLtc: string): Promise<string> {
    return bitcoinRpc<string>(this.walletRpcUrl, 'sendtoaddress', [address, amountLtc]);
  }

  /** One block, its reward to the demo wallet (which keeps it funded). */
  async mine(): Promise<void> {
    this.miningAddress ??= await bitcoinRpc<string>(this.walletRpcUrl, 'getnewaddress', ['', 'bech32']);
    await bitcoinRpc(this.rpcUrl, 'generatetoaddress', [1, this.miningAddress]);
  }
}

/** Where the demo pays from on the Hardhat chain: its well-known unlocked accounts. */
export class DemoEvmPayer {
  constructor(
    readonly rpcUrl: string,
    /** The demo USDC; undefined when the chain has none. */
    readonly usdcContract: string | undefined,
  ) {}

  /** ETH from account 1 (10,000 ETH on a fresh Hardhat chain); returns the transaction hash. */
  async payEth(address: string, amountEth: string): Promise<string> {
    const accounts = await evmRpc<string[]>(this.rpcUrl, 'eth_accounts');
    const from = accounts[1] ?? accounts[0];
    if (from === undefined) throw new Error('the EVM node has no unlocked account to pay from');
    return evmRpc<string>(this.rpcUrl, 'eth_sendTransaction', [{ from, to: address, value: `0x${parseUnits(amountEth, 18).toString(16)}` }]);
  }

  /** USDC `transfer` from account 0, which holds the demo token's supply; returns the transaction hash. */
  async payUsdc(address: string, amountUsdc: string): Promise<string> {
    if (this.usdcContract === undefined) throw new Error('this EVM chain has no demo USDC');
    const [from] = await evmRpc<string[]>(this.rpcUrl, 'eth_accounts');
    if (from === undefined) throw new Error('the EVM node has no unlocked account to pay from');
    const amount = parseUnits(amountUsdc, DEMO_USDC_DECIMALS);
    // transfer(address,uint256)
    const data = `0xa9059cbb${address.slice(2).toLowerCase().padStart(64, '0')}${amount.toString(16).padStart(64, '0')}`;
    return evmRpc<string>(this.rpcUrl, 'eth_sendTransaction', [{ from, to: this.usdcContract, data }]);
  }

  async mine(): Promise<void> {
    await evmRpc(this.rpcUrl, 'hardhat_mine', ['0x1']);
  }
}

export interface DemoChains {
  readonly litecoin: DemoLitecoinPayer | undefined;
  readonly evm: DemoEvmPayer | undefined;
  /** Why a chain is not used, one line each, for the operator. */
  readonly notes: readonly string[];
}

/**
 * The chains the demo can pay on, found the way the running Coinstile found them: `LTC_RPC_URL` /
 * `ETH_RPC_URL` when they point at a regtest node (Litecoin: its `coinstile-demo` wallet if loaded, else
 * its default wallet) or a Hardhat-like chain 31337 with unlocked accounts; otherwise the embedded nodes
 * recorded in the data folder, if they answer. Mainnet and testnet nodes are never paid from.
 */
export async function connectDemoChains(config: Config): Promise<DemoChains> {
  const notes: string[] = [];
  let litecoin: DemoLitecoinPayer | undefined;
  if (config.ltcRpcUrl !== undefined) {
    if (config.ltcNetwork !== 'regtest') {
      notes.push(`LTC: LTC_NETWORK is ${config.ltcNetwork}; the demo pays only on regtest.`);
    } else {
      const wallets = await bitcoinRpc<string[]>(config.ltcRpcUrl, 'listwallets').catch(() => undefined);
      if (wallets === undefined) notes.push('LTC: the node at LTC_RPC_URL does not answer.');
      else {
        const walletUrl = wallets.includes(DEMO_WALLET_NAME) ? `${config.ltcRpcUrl.replace(/\/+$/, '')}/wallet/${DEMO_WALLET_NAME}` : config.ltcRpcUrl;
        litecoin = new DemoLitecoinPayer(config.ltcRpcUrl, walletUrl);
      }
    }
  } else {
    const endpoint = readEmbeddedLitecoindEndpoint(config.dataDir);
    if (endpoint === undefined) notes.push(`LTC: no embedded litecoind has run in ${config.dataDir} (is litecoind installed?).`);
    else if (!(await answers(() => bitcoinRpc(endpoint.rpcUrl, 'getblockcount', [], 3_000)))) {
      notes.push('LTC: the embedded litecoind is not running (start Coinstile first).');
    } else litecoin = new DemoLitecoinPayer(endpoint.rpcUrl, endpoint.walletRpcUrl);
  }

  let evm: DemoEvmPayer | undefined;
  if (config.ethRpcUrl !== undefined) {
    if (config.ethChainId !== HARDHAT_CHAIN_ID) notes.push(`ETH: ETH_CHAIN_ID is ${String(config.ethChainId)}; the demo pays only on a local chain ${HARDHAT_CHAIN_ID}.`);
    else if (!(await answers(() => evmRpc(config.ethRpcUrl!, 'eth_chainId', [], 3_000)))) notes.push('ETH: the node at ETH_RPC_URL does not answer.');
    else evm = new DemoEvmPayer(config.ethRpcUrl, config.usdcContract);
  } else {
    const endpoint = readEmbeddedHardhatEndpoint(config.dataDir);
    if (endpoint === undefined) notes.push(`ETH: no embedded Hardhat node has run in ${config.dataDir} (Hardhat is installed only in a development checkout).`);
    else if (!(await answers(() => evmRpc(endpoint.rpcUrl, 'eth_chainId', [], 3_000)))) {
      notes.push('ETH: the embedded Hardhat node is not running (start Coinstile first).');
    } else evm = new DemoEvmPayer(endpoint.rpcUrl, endpoint.usdcContract);
  }
  return { litecoin, evm, notes };
}

async function answers(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch {
    return false;
  }
}
