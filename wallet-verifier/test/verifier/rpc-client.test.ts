import { createServer, type Server } from 'node:net';
import { freePort, startLitecoind, type LitecoinRegtest } from '@coinstile/testkit';
import { BitcoinRpcClient, RpcMethodError, RpcProtocolError, RpcUnavailableError } from '@coinstile/wallet-verifier';

describe('BitcoinRpcClient against litecoind regtest', () => {
  let node: LitecoinRegtest;
  let silent: Server;
  let silentPort: number;

  beforeAll(async () => {
    node = await startLitecoind();
    // Accepts connections and never answers: a hung node.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    silent?.close();
    await node?.stop();
  });

  it('calls methods and returns their results', async () => {
    const rpc = new BitcoinRpcClient(node.rpcUrl);
    expect(await rpc.call<number>('getblockcount')).toBe(101);
    const hash = await rpc.call<string>('getblockhash', [101]);
    expect(await rpc.call<string>('getbestblockhash')).toBe(hash);
  });

  it('batches: one request, outcomes in call order, per-call errors as outcomes', async () => {
    const rpc = new BitcoinRpcClient(node.rpcUrl);
    const outcomes = await rpc.batch<string>([
      { method: 'getblockhash', params: [3] },
      { method: 'getblockhash', params: [1_000_000] },
      { method: 'getblockhash', params: [1] },
      { method: 'nosuchmethod' },
    ]);
    expect(outcomes[0]).toEqual({ ok: true, result: await rpc.call('getblockhash', [3]) });
    expect(outcomes[1]).toMatchObject({ ok: false, error: { code: -8 } });
    expect(outcomes[2]).toEqual({ ok: true, result: await rpc.call('getblockhash', [1]) });
    expect(outcomes[3]).toMatchObject({ ok: false, error: { code: -32601 } });
    expect(await rpc.batch([])).toEqual([]);
  });

  it('node errors are RpcMethodError with the RPC code', async () => {
    const rpc = new BitcoinRpcClient(node.rpcUrl);
    const err = await rpc.call('getrawtransaction', ['00'.repeat(32)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcMethodError);
    expect(err).toMatchObject({ code: -5, method: 'getrawtransaction' });
  });

  it('wrong credentials are a protocol error; nothing listening or no answer is "unavailable"; no message carries the password', async () => {
    const url = new URL(node.rpcUrl);
    url.password = 'wrong-password-123';
    const refused = await new BitcoinRpcClient(url.toString()).call('getblockcount').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RpcProtocolError);
    expect(refused).toMatchObject({ httpStatus: 401 });

    const closed = await new BitcoinRpcClient(`http://user:secret-pw@127.0.0.1:${await freePort()}`).call('getblockcount').catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(RpcUnavailableError);
    expect(closed).toMatchObject({ reason: 'network' });

    const hung = new BitcoinRpcClient(`http://user:secret-pw@127.0.0.1:${silentPort}`, { timeoutMs: 300 });
    expect(hung.endpoint).toBe(`http://user:***@127.0.0.1:${silentPort}`);
    const timedOut = await hung.call('getblockcount').catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(RpcUnavailableError);
    expect(timedOut).toMatchObject({ reason: 'timeout' });
    for (const e of [refused, closed, timedOut]) {
      expect(String((e as Error).message)).not.toMatch(/secret-pw|wrong-password-123/);
      expect(String((e as Error).message)).not.toContain(new URL(node.rpcUrl).password);
    }
  });
});
