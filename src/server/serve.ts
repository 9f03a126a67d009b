/**
 * `orket serve`: one server process per project folder. It opens the project's database, marks the
 * jobs a stopped server left running as interrupted, and listens (127.0.0.1 unless told otherwise; any
 * other address needs an API key). `close` stops accepting, lets running jobs end as interrupted with
 * their partial results written, and closes the database (what SIGTERM does).
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { serve } from "@hono/node-server";
import type { ProviderSettings } from "../providers/index.js";
import { parseQueueUrl } from "../queue/address.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { openDatabase } from "../store/db.js";
import { HistoryStore } from "../store/history-store.js";
import { JobStore } from "../store/job-store.js";
import { projectDatabasePath, projectStateDir } from "../store/project-state.js";
import { createApp } from "./app.js";
import { JobManager } from "./jobs.js";
import { createServerMetrics } from "./metrics.js";

export class ServeError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = {
    BAD_SERVE: "usage",
    PORT_IN_USE: "failed",
  };
  override readonly code: "BAD_SERVE" | "PORT_IN_USE";
  constructor(code: "BAD_SERVE" | "PORT_IN_USE", message: string) {
    super(message);
    this.code = code;
  }
}

export interface ServeOptions {
  projectDir: string;
  home: string;
  port?: number | undefined;
  host?: string | undefined;
  /** Required for any host but loopback; when set, every /api and /metrics request must carry it. */
  apiKey?: string | undefined;
  corsOrigin?: string | undefined;
  providers?: ProviderSettings | undefined;
  /**
   * `--queue redis://…`: bench and sweep jobs go to the queue's workers (`orket worker`) instead of
   * running here, and no longer wait for each other; epic runs still run here.
   */
  queue?: string | undefined;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Stop accepting, end running jobs as interrupted (partial results saved), close the database. */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 7317;

/** 127.0.0.0/8, ::1 and localhost: addresses no other machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const apiKey = options.apiKey?.length ? options.apiKey : undefined;
  if (!isLoopback(host) && apiKey === undefined) {
    throw new ServeError(
      "BAD_SERVE",
      `--host ${host} is reachable from other machines: set ORKET_API_KEY (clients send it as a bearer token), or serve on 127.0.0.1`,
    );
  }
  if (apiKey !== undefined && apiKey.length < 16) {
    throw new ServeError("BAD_SERVE", "ORKET_API_KEY is shorter than 16 characters: use a long random key");
  }
  const database = projectDatabasePath(options.projectDir);
  const db = openDatabase(database);
  const history = new HistoryStore(db);
  const jobs = new JobManager(new JobStore(db), {
    projectDir: options.projectDir,
    stateDir: projectStateDir(options.projectDir),
    home: options.home,
    database,
    providers: options.providers ?? {},
    queue: options.queue === undefined ? undefined : parseQueueUrl(options.queue),
    historyIdsOf: (paths) => {
      const wanted = new Set(paths.map((p) => resolve(p)));
      return history
        .list()
        .filter((e) => wanted.has(resolve(e.report_path)))
        .map((e) => e.history_id);
    },
  });
  const metrics = createServerMetrics(() => jobs.counts());
  const app = createApp({
    db,
    jobs,
    metrics,
    apiKey,
    corsOrigin: options.corsOrigin,
    projectDir: resolve(options.projectDir),
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? DEFAULT_PORT, hostname: host }, () =>
      resolve(s),
    );
    s.once("error", (error: NodeJS.ErrnoException) => {
      db.close();
      metrics.close();
      reject(
        error.code === "EADDRINUSE"
          ? new ServeError(
              "PORT_IN_USE",
              `port ${options.port ?? DEFAULT_PORT} on ${host} is in use: pick another with --port`,
            )
          : error,
      );
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}`,
    port,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        // Open event streams would hold the server open: they end when their job does, or now.
        const http = server as unknown as Server;
        http.closeIdleConnections();
        await jobs.shutdown();
        http.closeAllConnections();
        await stopped;
        metrics.close();
        db.close();
      })();
      return closing;
    },
  };
}
