/**
 * Errors of model calls. Each kind has a stable string code, `isRetryable`, and the data a user needs
 * (URL, HTTP status, body excerpt). The CLI maps codes to one line and an exit code.
 */
import { type ExitClass, OrketError } from "./orket-error.js";

export type ModelErrorCode =
  | "CONNECTION_REFUSED"
  | "TIMEOUT"
  | "MODEL_NOT_FOUND"
  | "HTTP_STATUS"
  | "MALFORMED_STREAM"
  | "SERVER_ERROR"
  | "ABORTED"
  | "MODEL_LOAD_FAILED"
  | "CASSETTE_MISS"
  | "BAD_REQUEST"
  | "CONTEXT_EXCEEDED"
  | "INTERNAL";

export const MODEL_ERROR_CODES: readonly ModelErrorCode[] = [
  "CONNECTION_REFUSED",
  "TIMEOUT",
  "MODEL_NOT_FOUND",
  "HTTP_STATUS",
  "MALFORMED_STREAM",
  "SERVER_ERROR",
  "ABORTED",
  "MODEL_LOAD_FAILED",
  "CASSETTE_MISS",
  "BAD_REQUEST",
  "CONTEXT_EXCEEDED",
  "INTERNAL",
];

/**
 * The exit class of each model-call code: a request the engine cannot take as given (too long, a model
 * that does not load, bad request) is the user's to fix; an engine that is down or fails is the work
 * failing; INTERNAL is a defect.
 */
export const MODEL_ERROR_EXITS: Readonly<Record<ModelErrorCode, ExitClass>> = {
  CONNECTION_REFUSED: "failed",
  TIMEOUT: "failed",
  MODEL_NOT_FOUND: "failed",
  HTTP_STATUS: "failed",
  MALFORMED_STREAM: "failed",
  SERVER_ERROR: "failed",
  ABORTED: "failed",
  MODEL_LOAD_FAILED: "usage",
  CASSETTE_MISS: "failed",
  BAD_REQUEST: "usage",
  CONTEXT_EXCEEDED: "usage",
  INTERNAL: "internal",
};

export interface ModelCallErrorOptions {
  url?: string | undefined;
  statusCode?: number | undefined;
  responseBody?: string | undefined;
  isRetryable?: boolean;
  cause?: unknown;
}

export class ModelCallError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = MODEL_ERROR_EXITS;
  override readonly code: ModelErrorCode;
  readonly isRetryable: boolean;
  readonly url: string | undefined;
  readonly statusCode: number | undefined;
  /** At most the first 2 KiB of the response body, for the error line and the telemetry record. */
  readonly responseBody: string | undefined;

  constructor(code: ModelErrorCode, message: string, options: ModelCallErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.isRetryable = options.isRetryable ?? false;
    this.url = options.url;
    this.statusCode = options.statusCode;
    this.responseBody = options.responseBody?.slice(0, 2048);
  }

  static is(value: unknown): value is ModelCallError {
    return value instanceof ModelCallError;
  }
}

/** Nothing listens at the address (ECONNREFUSED, unknown host). Retryable: a server may be starting. */
export class ConnectionRefusedError extends ModelCallError {
  constructor(url: string, cause?: unknown) {
    super("CONNECTION_REFUSED", `cannot connect to ${url}: connection refused`, {
      url,
      cause,
      isRetryable: true,
    });
  }
}

/**
 * The call ran past its time limit. Not retryable: a local model that ran out of time once will run out
 * again, and a retry would only multiply the wait.
 */
export class CallTimeoutError extends ModelCallError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, url?: string) {
    super("TIMEOUT", `no complete answer within ${timeoutMs} ms${url ? ` from ${url}` : ""}`, { url });
    this.timeoutMs = timeoutMs;
  }
}

export class ModelNotFoundError extends ModelCallError {
  readonly modelId: string;
  constructor(modelId: string, options: ModelCallErrorOptions & { hint?: string } = {}) {
    super(
      "MODEL_NOT_FOUND",
      `model "${modelId}" not found${options.hint ? ` (${options.hint})` : ""}`,
      options,
    );
    this.modelId = modelId;
  }
}

/** A non-2xx answer. 408, 409, 429 and 5xx are retryable. */
export class HttpStatusError extends ModelCallError {
  constructor(statusCode: number, url: string, responseBody?: string) {
    const excerpt = responseBody ? `: ${responseBody.replace(/\s+/g, " ").trim().slice(0, 200)}` : "";
    super("HTTP_STATUS", `HTTP ${statusCode} from ${url}${excerpt}`, {
      url,
      statusCode,
      responseBody,
      isRetryable: statusCode === 408 || statusCode === 409 || statusCode === 429 || statusCode >= 500,
    });
  }
}

/** The wire format was broken: invalid JSON, a cut-off stream, a chunk of the wrong shape. */
export class MalformedStreamError extends ModelCallError {
  constructor(detail: string, options: ModelCallErrorOptions = {}) {
    super(
      "MALFORMED_STREAM",
      `malformed response${options.url ? ` from ${options.url}` : ""}: ${detail}`,
      options,
    );
  }
}

/** The server answered 200 and then reported an error in the body or the stream. */
export class ServerReportedError extends ModelCallError {
  constructor(detail: string, options: ModelCallErrorOptions = {}) {
    super(
      "SERVER_ERROR",
      `server reported an error${options.url ? ` (${options.url})` : ""}: ${detail}`,
      options,
    );
  }
}

export class AbortedError extends ModelCallError {
  constructor(url?: string) {
    super("ABORTED", "the call was aborted", { url });
  }
}

export class ModelLoadError extends ModelCallError {
  constructor(path: string, detail: string, cause?: unknown) {
    super("MODEL_LOAD_FAILED", `cannot load model ${path}: ${detail}`, { cause });
  }
}

export class CassetteMissError extends ModelCallError {
  constructor(detail: string) {
    super("CASSETTE_MISS", detail);
  }
}

export class BadRequestError extends ModelCallError {
  constructor(detail: string) {
    super("BAD_REQUEST", detail);
  }
}

/**
 * The prompt and the asked output do not fit the backend's context window (llama.cpp's
 * `exceed_context_size_error`): the server refused the request instead of truncating it.
 */
export class ContextExceededError extends ModelCallError {
  constructor(
    readonly promptTokens: number | undefined,
    readonly contextSize: number | undefined,
    options: ModelCallErrorOptions = {},
  ) {
    const sizes =
      promptTokens !== undefined && contextSize !== undefined
        ? ` (${promptTokens} tokens; the server's context holds ${contextSize})`
        : "";
    super(
      "CONTEXT_EXCEEDED",
      `the request does not fit the context window${sizes}: start the server with a larger context (llama-server -c)`,
      { ...options, isRetryable: false },
    );
  }
}

/** Something that is not a known failure of a model call: a defect. The cause keeps the stack. */
export class InternalCallError extends ModelCallError {
  constructor(cause: unknown) {
    super("INTERNAL", `internal error: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
