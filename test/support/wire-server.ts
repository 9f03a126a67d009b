/**
 * A local HTTP server that replays scripted wire responses chunk by chunk with real gaps, for testing
 * the HTTP adapters against the formats real servers send (including the broken ones).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptedChunk {
  /** Milliseconds to wait before writing this chunk. */
  delayMs?: number;
  data: string;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  chunks: ScriptedChunk[];
  /**
   * Destroy the socket after the chunks instead of ending the response cleanly (a truncated stream). The
   * cut waits `destroyDelayMs` (default 25) so the client has read the last chunk before the reset.
   */
  destroy?: boolean;
  destroyDelayMs?: number;
  /** Milliseconds to wait before sending the status line and headers (a slow first byte). */
  headerDelayMs?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: unknown;
  /** performance.now() when the request body was fully received. */
  receivedAt: number;
}

export type Responder = (req: RecordedRequest, index: number) => ScriptedResponse;

export interface WireServer {
  baseUrl: string;
  requests: RecordedRequest[];
  /** performance.now() at which the first chunk of each response was written, in request order. */
  firstChunkSentAt: number[];
  /** Replace the route table. Keys are `METHOD /path`. */
  route(key: string, responder: Responder | ScriptedResponse | ScriptedResponse[]): void;
  close(): Promise<void>;
}

export async function startWireServer(): Promise<WireServer> {
  const routes = new Map<string, Responder>();
  const requests: RecordedRequest[] = [];
  const firstChunkSentAt: number[] = [];
  const counters = new Map<string, number>();
  const sockets = new Set<import("node:net").Socket>();

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const key = `${req.method} ${path}`;
    let body: unknown = raw;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      // keep the raw text: some tests send bodies that are not JSON on purpose
    }
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers: req.headers,
      body,
      receivedAt: performance.now(),
    };
    requests.push(recorded);
    const responder = routes.get(key);
    if (!responder) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `no route for ${key}` }));
      return;
    }
    const index = counters.get(key) ?? 0;
    counters.set(key, index + 1);
    const script = responder(recorded, index);
    if (script.headerDelayMs) await sleep(script.headerDelayMs);
    if (res.destroyed) return;
    res.writeHead(script.status ?? 200, script.headers ?? { "content-type": "application/json" });
    res.flushHeaders();
    let first = true;
    for (const chunk of script.chunks) {
      if (chunk.delayMs) await sleep(chunk.delayMs);
      if (res.destroyed) return;
      res.write(chunk.data);
      if (first) {
        firstChunkSentAt.push(performance.now());
        first = false;
      }
    }
    if (script.destroy) {
      await sleep(script.destroyDelayMs ?? 25);
      res.socket?.destroy();
      return;
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    firstChunkSentAt,
    route(key, responder) {
      counters.delete(key);
      if (typeof responder === "function") routes.set(key, responder);
      else if (Array.isArray(responder)) {
        routes.set(key, (_req, i) => {
          const picked = responder[Math.min(i, responder.length - 1)];
          if (!picked) throw new Error(`empty response list for ${key}`);
          return picked;
        });
      } else routes.set(key, () => responder);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An address on which nothing listens: a port that was bound and released. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** NDJSON chunks, one JSON value per line, with a gap before each. */
export function ndjson(values: unknown[], gapMs = 5): ScriptedChunk[] {
  return values.map((value) => ({ delayMs: gapMs, data: `${JSON.stringify(value)}\n` }));
}

/** SSE chunks (`data: ...` events), each JSON value or raw string as one event, with a gap before each. */
export function sse(values: Array<unknown | string>, gapMs = 5): ScriptedChunk[] {
  return values.map((value) => ({
    delayMs: gapMs,
    data: `data: ${typeof value === "string" ? value : JSON.stringify(value)}\n\n`,
  }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
