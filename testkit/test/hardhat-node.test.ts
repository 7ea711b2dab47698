import { Wallet, type Contract, type Log } from 'ethers';
import { startHardhat, type HardhatNode } from '@coinstile/testkit';

describe('startHardhat', () => {
  let node: HardhatNode;

  beforeAll(async () => {
    const startedAt = Date.now();
    node = await startHardhat();
    console.log(`hardhat node started in ${Date.now() - startedAt} ms`);
  });

  afterAll(async () => {
    await node?.stop();
  });

  test('runs chain 31337', async () => {
    expect(node.chainId).toBe(31337);
    expect((await node.provider.getNetwork()).chainId).toBe(31337n);
    expect(await node.provider.send('eth_chainId', [])).toBe('0x7a69');
  });

  test('sends ETH and the balance is seen', async () => {
    const recipient = Wallet.createRandom().address;
    const hash = await node.sendEth(recipient, 1_234_567_890_000_000_000n, 1);
    expect(await node.provider.getBalance(recipient)).toBe(1_234_567_890_000_000_000n);
    const receipt = await node.provider.getTransactionReceipt(hash);
    expect(receipt?.from).toBe(await (await node.signer(1)).getAddress());
  });

  test('deploys the ERC-20; a transfer emits a Transfer log with from, to and value', async () => {
    const startedAt = Date.now();
    const token: Contract = await node.deployErc20({ name: 'Test Dollar', symbol: 'TUSD', decimals: 6 });
    console.log(`ERC-20 compiled (or read from cache) and deployed in ${Date.now() - startedAt} ms`);
    const deployer = await (await node.signer(0)).getAddress();
    expect(await token.getFunction('name')()).toBe('Test Dollar');
    expect(await token.getFunction('symbol')()).toBe('TUSD');
    expect(await token.getFunction('decimals')()).toBe(6n);
    expect(await token.getFunction('balanceOf')(deployer)).toBe(1_000_000_000_000n * 10n ** 6n);

    const recipient = Wallet.createRandom().address;
    const tx = await token.getFunction('transfer')(recipient, 25_500_000n);
    const receipt = await tx.wait();
    const transfers = (receipt.logs as Log[])
      .map((log) => token.interface.parseLog(log))
      .filter((parsed) => parsed?.name === 'Transfer');
    expect(transfers).toHaveLength(1);
    expect(transfers[0]?.args.toObject()).toEqual({ from: deployer, to: recipient, value: 25_500_000n });
    expect(await token.getFunction('balanceOf')(recipient)).toBe(25_500_000n);

    const logs = await node.provider.getLogs({
      address: await token.getAddress(),
      topics: [token.interface.getEvent('Transfer')?.topicHash ?? ''],
      fromBlock: receipt.blockNumber,
      toBlock: receipt.blockNumber,
    });
    expect(logs).toHaveLength(1);
  });

  test('transferFrom spends an allowance', async () => {
    const token = await node.deployErc20();
    const owner = await (await node.signer(0)).getAddress();
    const spender = await node.signer(2);
    const recipient = Wallet.createRandom().address;
    await (await token.getFunction('approve')(await spender.getAddress(), 1_000n)).wait();
    const asSpender = token.connect(spender) as Contract;
    await (await asSpender.getFunction('transferFrom')(owner, recipient, 400n)).wait();
    expect(await token.getFunction('balanceOf')(recipient)).toBe(400n);
    expect(await token.getFunction('allowance')(owner, await spender.getAddress())).toBe(600n);
    await expect(asSpender.getFunction('transferFrom')(owner, recipient, 601n)).rejects.toThrow(/insufficient allowance/);
  });

  test('snapshot and revert undo a transfer', async () => {
    const token = await node.deployErc20({ decimals: 18 });
    const recipient = Wallet.createRandom().address;
    const snapshot = await node.snapshot();
    await (await token.getFunction('transfer')(recipient, 10n ** 18n)).wait();
    expect(await token.getFunction('balanceOf')(recipient)).toBe(10n ** 18n);
    await node.revert(snapshot);
    expect(await token.getFunction('balanceOf')(recipient)).toBe(0n);
    await expect(node.revert(snapshot)).rejects.toThrow(/unknown or already used/);
  });

  test('mine advances the block number', async () => {
    const before = await node.provider.getBlockNumber();
    await node.mine(5);
    expect(await node.provider.getBlockNumber()).toBe(before + 5);
  });
});
