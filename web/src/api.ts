/**
 * The dashboard's side of the API: JSON requests with the API key when the server has one (asked once,
 * kept for the tab's session), and a job's events read with fetch (EventSource cannot send a header),
 * resumed from the last event seen when the connection drops.
 */
import { EventSourceParserStream } from "eventsource-parser/stream";

const KEY = "orket-api-key";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = sessionStorage.getItem(KEY);
  return { ...extra, ...(key ? { Authorization: `Bearer ${key}` } : {}) };
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const response = await fetch(path, {
      method: init.method ?? "GET",
      headers: headers(init.body === undefined ? {} : { "content-type": "application/json" }),
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const body = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    if (response.status === 401 && attempt === 0) {
      const key = window.prompt("This Orket server needs its API key (ORKET_API_KEY):");
      if (key) {
        sessionStorage.setItem(KEY, key);
        continue;
      }
    }
    if (!response.ok) {
      throw new ApiError(
        response.status,
        body.error?.code ?? "ERROR",
        body.error?.message ?? response.statusText,
      );
    }
    return body as T;
  }
  throw new ApiError(401, "UNAUTHORIZED", "no API key");
}

export interface StreamedEvent {
  id: number | null;
  event: string;
  data: Record<string, unknown>;
}

/**
 * Follows a job's events until its `job_end` (or `stop()`); reconnects after a drop with
 * `Last-Event-ID`, so nothing is missed or repeated.
 */
export function followJob(jobId: string, onEvent: (e: StreamedEvent) => void): { stop(): void } {
  const controller = new AbortController();
  let last: number | null = null;
  const run = async () => {
    for (let tries = 0; tries < 20 && !controller.signal.aborted; tries++) {
      try {
        const response = await fetch(`/api/jobs/${encodeURIComponent(jobId)}/events`, {
          headers: headers(last === null ? {} : { "Last-Event-ID": String(last) }),
          signal: controller.signal,
        });
        if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
        const reader = response.body
          .pipeThrough(new TextDecoderStream())
          .pipeThrough(new EventSourceParserStream())
          .getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const id = value.id === undefined || value.id === "" ? null : Number(value.id);
          if (id !== null) last = id;
          onEvent({ id, event: value.event ?? "message", data: JSON.parse(value.data) });
          if (value.event === "job_end") return;
        }
      } catch {
        if (controller.signal.aborted) return;
      }
      await new Promise((r) => setTimeout(r, 500 * (tries + 1)));
    }
  };
  void run();
  return { stop: () => controller.abort() };
}
