import { Counter, Gauge, type Registry } from 'prom-client';

/** The chain followers' series, one set per registry, labelled by chain. */
export interface FollowerMetrics {
  readonly nodeTipHeight: Gauge<'chain'>;
  readonly processedHeight: Gauge<'chain'>;
  readonly lagBlocks: Gauge<'chain'>;
  readonly leader: Gauge<'chain'>;
  readonly watchedAddresses: Gauge<'chain'>;
  readonly paymentsMatched: Counter<'chain' | 'source'>;
  readonly reorgs: Counter<'chain'>;
  readonly reorgDepth: Gauge<'chain'>;
  readonly nodeErrors: Counter<'chain'>;
}

const byRegistry = new WeakMap<Registry, FollowerMetrics>();

export function followerMetrics(registry: Registry): FollowerMetrics {
  const existing = byRegistry.get(registry);
  if (existing !== undefined) return existing;
  const registers = [registry];
  const metrics: FollowerMetrics = {
    nodeTipHeight: new Gauge({ name: 'coinstile_chain_node_tip_height', help: 'Best block height the node reports', labelNames: ['chain'], registers }),
    processedHeight: new Gauge({ name: 'coinstile_chain_processed_height', help: 'Height of the last block the follower processed', labelNames: ['chain'], registers }),
    lagBlocks: new Gauge({ name: 'coinstile_chain_lag_blocks', help: 'Node tip height minus processed height', labelNames: ['chain'], registers }),
    leader: new Gauge({ name: 'coinstile_chain_follower_leader', help: '1 while this process holds the follower lock of the chain', labelNames: ['chain'], registers }),
    watchedAddresses: new Gauge({ name: 'coinstile_chain_watched_addresses', help: 'Destinations in the watched set', labelNames: ['chain'], registers }),
    paymentsMatched: new Counter({ name: 'coinstile_chain_payments_matched_total', help: 'Outputs matched to a checkout, by where they were seen', labelNames: ['chain', 'source'], registers }),
    reorgs: new Counter({ name: 'coinstile_chain_reorgs_total', help: 'Reorganisations seen', labelNames: ['chain'], registers }),
    reorgDepth: new Gauge({ name: 'coinstile_chain_last_reorg_depth', help: 'Blocks disconnected by the last reorganisation', labelNames: ['chain'], registers }),
    nodeErrors: new Counter({ name: 'coinstile_chain_node_errors_total', help: 'Failed sync rounds (node or database unavailable)', labelNames: ['chain'], registers }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
