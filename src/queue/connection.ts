/**
 * Connections to the queue: one ioredis client for Orket's own keys, and the options BullMQ opens its
 * own connections with (each queue, worker and event reader has its own).
 */
import { Redis } from "ioredis";
import type { QueueAddress } from "./address.js";
import { QueueError } from "./errors.js";

/** What BullMQ's queues, workers and event readers connect with (each opens its own connections). */
export function bullConnection(address: QueueAddress): { url: string; maxRetriesPerRequest: null } {
  return { url: address.url, maxRetriesPerRequest: null };
}

/**
 * A client for Orket's own keys, connected and answering PING within `timeoutMs`, else
 * QUEUE_UNREACHABLE. It reconnects by itself afterwards (a restarted Redis is picked up again).
 */
export async function connectQueue(address: QueueAddress, timeoutMs = 5000): Promise<Redis> {
  const redis = new Redis(address.url, {
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  });
  let lastError: Error | null = null;
  redis.on("error", (error: Error) => {
    lastError = error;
  });
  const timer = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(lastError?.message ?? `no answer in ${timeoutMs} ms`)),
      timeoutMs,
    ).unref(),
  );
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), timer]);
  } catch (error) {
    redis.disconnect();
    throw new QueueError(
      "QUEUE_UNREACHABLE",
      // The socket's own error (ECONNREFUSED, a TLS or auth failure) says more than "Connection is closed".
      `cannot reach the queue at ${address.shown}: ${(lastError as Error | null)?.message || (error as Error).message || String(error)}`,
      { cause: error },
    );
  }
  return redis;
}
