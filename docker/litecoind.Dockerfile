# litecoind in regtest mode for the compose stack (Debian's package; the same JSON-RPC as Bitcoin Core).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends litecoind \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /home/litecoin litecoin
USER litecoin
VOLUME ["/home/litecoin/.litecoin"]
EXPOSE 19443
ENTRYPOINT ["litecoind", "-regtest", "-server", "-txindex", "-printtoconsole", "-fallbackfee=0.0001", \
            "-rpcbind=0.0.0.0", "-rpcallowip=0.0.0.0/0", "-rpcport=19443"]
