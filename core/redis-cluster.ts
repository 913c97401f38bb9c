import { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';

/** Options that ioredis reads at the cluster level; the rest go to every node's connection. */
const CLUSTER_LEVEL = ['lazyConnect', 'enableOfflineQueue', 'enableReadyCheck'] as const;

/**
 * An ioredis Cluster from a `redis+cluster://` URL and the options a single client would get:
 * credentials and TLS apply to every node, `retryStrategy` paces the cluster's reconnects.
 * enableReadyCheck and maxRetriesPerRequest stay in the node options too (bull looks for them there).
 */
export function createCluster(url: string, opts: RedisOptions = {}): Cluster {
  const u = new URL(url);
  const tls = u.protocol.toLowerCase() === 'rediss+cluster:';
  const node: RedisOptions = {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(tls ? { tls: {} } : {}),
    ...opts,
  };
  const cluster: ClusterOptions = { redisOptions: node };
  for (const k of CLUSTER_LEVEL) {
    if (opts[k as keyof RedisOptions] !== undefined) (cluster as Record<string, unknown>)[k] = opts[k as keyof RedisOptions];
    if (k !== 'enableReadyCheck') delete (node as Record<string, unknown>)[k];
  }
  // a lost node is not reconnected by itself: the cluster refreshes its slots (ioredis' design)
  if (opts.retryStrategy) cluster.clusterRetryStrategy = (times) => opts.retryStrategy!(times);
  delete node.retryStrategy;
  return new Cluster([{ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) }], cluster);
}
