/**
 * The HTTP edge shared by the server adapters: one place that turns fetch's failures into typed model
 * errors (refused connection, abort, non-2xx status) and reads bodies as lines without buffering them.
 */
import {
  AbortedError,
  ConnectionRefusedError,
  HttpStatusError,
  MalformedStreamError,
  ModelCallError,
} from "../spec/errors.js";

export type FetchFn = typeof globalThis.fetch;

export interface HttpSettings {
  baseURL: string;
  fetch?: FetchFn | undefined;
  headers?: Record<string, string> | undefined;
}

/** Joins a base URL and a path without doubling or dropping the slash between them. */
export function joinUrl(baseURL: string, path: string): string {
  return `${baseURL.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/**
 * Sends a request and returns the response when its status is 2xx. Throws `ConnectionRefusedError`,
 * `AbortedError` or `HttpStatusError` (with the start of the body) otherwise.
 */
export async function sendRequest(
  settings: HttpSettings,
  path: string,
  init: { method?: "GET" | "POST"; body?: unknown; signal?: AbortSignal | undefined },
): Promise<Response> {
  const url = joinUrl(settings.baseURL, path);
  const doFetch = settings.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: {
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        ...settings.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
  } catch (error) {
    throw toModelError(error, url, init.signal);
  }
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    throw new HttpStatusError(response.status, url, text);
  }
  return response;
}

/** Maps anything fetch or a body read can throw to a `ModelCallError`. */
export function toModelError(error: unknown, url: string, signal?: AbortSignal): ModelCallError {
  if (ModelCallError.is(error)) return error;
  if (signal?.aborted || isAbortError(error)) return new AbortedError(url);
  const code = networkCode(error);
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EHOSTUNREACH") {
    return new ConnectionRefusedError(url, error);
  }
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET" || isTerminated(error)) {
    return new MalformedStreamError("the connection closed before the response was complete", {
      url,
      cause: error,
      isRetryable: true,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new MalformedStreamError(message, { url, cause: error });
}

/**
 * The longest line a server's stream may send (one NDJSON object, one SSE field), in characters. A real
 * chunk is a few hundred bytes; a line past this is a broken or hostile server, and buffering it whole
 * would take the process's memory with it (a 700 MB line used to end in "Invalid string length").
 */
export const MAX_STREAM_LINE_CHARS = 16 * 2 ** 20;

export function lineTooLong(url: string, limit: number): MalformedStreamError {
  return new MalformedStreamError(
    `a line of the stream is over ${limit.toLocaleString("en-US")} characters (the limit of one streamed chunk)`,
    { url },
  );
}

/**
 * Yields the body's lines as they arrive (without the newline), and the last line if it has none. Linear
 * in the body's size: each chunk is searched once, and a line's pieces are joined once, when it ends.
 * A line over `maxLine` characters is a `MalformedStreamError`.
 */
export async function* readLines(
  body: ReadableStream<Uint8Array>,
  url: string,
  signal?: AbortSignal,
  maxLine = MAX_STREAM_LINE_CHARS,
) {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let parts: string[] = [];
  let length = 0;
  const take = (piece: string): string => {
    const line = parts.length === 0 ? piece : parts.join("") + piece;
    parts = [];
    length = 0;
    return line.endsWith("\r") ? line.slice(0, -1) : line;
  };
  try {
    while (true) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw toModelError(error, url, signal);
      }
      if (chunk.done) break;
      const text = decoder.decode(chunk.value, { stream: true });
      let start = 0;
      for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", start)) {
        if (length + newline - start > maxLine) throw lineTooLong(url, maxLine);
        yield take(text.slice(start, newline));
        start = newline + 1;
      }
      if (start < text.length) {
        length += text.length - start;
        if (length > maxLine) throw lineTooLong(url, maxLine);
        parts.push(start === 0 ? text : text.slice(start));
      }
    }
    const rest = decoder.decode();
    if (rest.length > 0) parts.push(rest);
    if (parts.length > 0) {
      const last = take("");
      if (last.length > 0) yield last;
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

function isTerminated(error: unknown): boolean {
  return error instanceof TypeError && error.message === "terminated";
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (typeof current === "object" && current !== null && "code" in current) {
      const code = (current as { code: unknown }).code;
      if (typeof code === "string") return code;
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

/**
 * One cheap GET to `path`, once per returned function, whatever it answers: it starts the HTTP client
 * (Node's fetch compiles its parser on first use, ~30 ms) and opens a keep-alive connection outside any
 * measured window.
 */
export function warmUpOnce(settings: HttpSettings, path: string): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= sendRequest(settings, path, { method: "GET", signal: AbortSignal.timeout(2000) }).then(
      (response) => response.body?.cancel(),
      () => undefined,
    );
    return done;
  };
}
