/** Orket's own Redis keys beside BullMQ's (`bull:<queue>:…`). */
export const KEY_PREFIX = "orket";

/** A bank's JSON by its sha256, put there by the controller, read (and checked) by the workers. */
export const bankKey = (sha256: string) => `${KEY_PREFIX}:bank:${sha256}`;
/** A live worker's `WorkerInfo`; it expires `WORKER_TTL_S` after the worker's last heartbeat. */
export const workerKey = (id: string) => `${KEY_PREFIX}:worker:${id}`;
/** What a worker's executor said of one model: engine record, warm-up, server process, sandbox. */
export const engineKey = (workerId: string, modelKey: string) =>
  `${KEY_PREFIX}:engine:${workerId}:${modelKey}`;

export const WORKER_TTL_S = 30;
/** Banks and engine records are kept a week: long enough for any sweep and its resume. */
export const RECORD_TTL_S = 7 * 24 * 3600;
