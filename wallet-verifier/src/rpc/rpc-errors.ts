/** Why a JSON-RPC call to a chain node failed. Messages never carry the node's credentials. */
export abstract class ChainRpcError extends Error {
  constructor(
    readonly method: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The node could not be reached, reset the connection, or did not answer within the timeout: retry later. */
export class RpcUnavailableError extends ChainRpcError {
  constructor(
    method: string,
    readonly reason: 'timeout' | 'network' | 'http_status' | 'warming_up',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(method, `${method}: node unavailable (${reason}): ${detail}`, options);
  }
}

/** The node answered something that is not JSON-RPC (wrong URL, proxy page, 401 from bad credentials). */
export class RpcProtocolError extends ChainRpcError {
  constructor(
    method: string,
    readonly httpStatus: number,
    detail: string,
  ) {
    super(method, `${method}: unexpected answer (HTTP ${httpStatus}): ${detail}`);
  }
}

/** The node ran the call and returned a JSON-RPC error (e.g. -5 "No such mempool or blockchain transaction"). */
export class RpcMethodError extends ChainRpcError {
  constructor(
    method: string,
    readonly code: number,
    readonly rpcMessage: string,
  ) {
    super(method, `${method}: ${rpcMessage} (RPC error ${code})`);
  }
}

/** Bitcoin Core RPC error codes the verifier acts on (`rpc/protocol.h`). */
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_INVALID_ADDRESS_OR_KEY = -5;
export const RPC_INVALID_PARAMETER = -8;
export const RPC_IN_WARMUP = -28;
