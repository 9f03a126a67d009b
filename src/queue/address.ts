/**
 * The queue's address: a Redis URL (`redis://` or, with TLS, `rediss://`; a password in the URL as any
 * Redis client takes it). Messages and artifacts show it with its password hidden.
 */
import { QueueError } from "./errors.js";
export interface QueueAddress {
  /** The URL as given (password and all): what the clients connect with. */
  url: string;
  /** The URL with its password replaced by `***`: what messages and artifacts show. */
  shown: string;
}

/** Checks a `--queue` value: a redis:// or rediss:// URL with a host. */
export function parseQueueUrl(value: string, flag = "--queue"): QueueAddress {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new QueueError(
      "BAD_QUEUE_URL",
      `${flag} "${value}" is not a URL: give redis://host:port or rediss://…`,
    );
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:")
    throw new QueueError(
      "BAD_QUEUE_URL",
      `${flag} takes a redis:// or rediss:// URL, not ${url.protocol}// (e.g. redis://127.0.0.1:6379)`,
    );
  if (url.hostname === "") throw new QueueError("BAD_QUEUE_URL", `${flag} "${value}" names no host`);
  const shown = new URL(url.href);
  if (shown.password !== "") shown.password = "***";
  return { url: value, shown: shown.href };
}
