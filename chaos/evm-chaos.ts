import { evmRpc } from '@coinstile/platform';
import { DemoEvmPayer } from '../cli/src/demo/demo-chains';
import { EvmTimeline } from './chain-timeline';
import { SerialQueue } from './serial-queue';

/**
 * The run's Hardhat activity: ETH and USDC payments (the demo's payer: unlocked accounts, automining, so
 * each payment is a block) and empty blocks, one at a time, each recorded in the timeline.
 */
export class EvmChaos {
  readonly timeline = new EvmTimeline();
  readonly #chain = new SerialQueue();
  readonly #payer: DemoEvmPayer;
  readonly stats = { ethPayments: 0, usdcPayments: 0, blocksMined: 0 };

  constructor(
    private readonly rpcUrl: string,
    usdcContract: string,
  ) {
    this.#payer = new DemoEvmPayer(rpcUrl, usdcContract);
  }

  payEth(address: string, amountEth: string): Promise<string> {
    return this.#change(async () => {
      const hash = await this.#payer.payEth(address, amountEth);
      this.stats.ethPayments += 1;
      return hash;
    });
  }

  payUsdc(address: string, amountUsdc: string): Promise<string> {
    return this.#change(async () => {
      const hash = await this.#payer.payUsdc(address, amountUsdc);
      this.stats.usdcPayments += 1;
      return hash;
    });
  }

  mine(): Promise<void> {
    return this.#change(async () => {
      await this.#payer.mine();
      this.stats.blocksMined += 1;
    });
  }

  #change<T>(task: () => Promise<T>): Promise<T> {
    return this.#chain.run(async () => {
      const startedAt = Date.now();
      const result = await task();
      this.timeline.tipReached(Number(await evmRpc<string>(this.rpcUrl, 'eth_blockNumber')), startedAt);
      return result;
    });
  }
}
