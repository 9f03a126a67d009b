/** The queue's errors: a bad `--queue` URL, a Redis that does not answer, a worker with nothing to run. */
import { type ExitClass, OrketError } from "../spec/orket-error.js";

export type QueueErrorCode = "BAD_QUEUE_URL" | "QUEUE_UNREACHABLE" | "NO_QUEUE_MODELS" | "BAD_QUEUE_BATCH";

export class QueueError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = {
    BAD_QUEUE_URL: "usage",
    QUEUE_UNREACHABLE: "failed",
    NO_QUEUE_MODELS: "usage",
    BAD_QUEUE_BATCH: "usage",
  };
  override readonly code: QueueErrorCode;
  constructor(code: QueueErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
