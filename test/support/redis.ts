/**
 * A real redis-server for the queue tests, on a free loopback port in its own folder, with the append-only
 * file on (as the queue's docs ask), so a `kill -9` and a restart keep what was written. A missing
 * redis-server fails the test that asked for it, naming the fix; it never skips.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./llama-cpp.js";

export interface TestRedis {
  url: string;
  port: number;
  /** kill -9: the server dies without saving beyond its append-only file. */
  kill9(): void;
  /** Starts it again on the same port and folder (the append-only file is read back). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisTls {
  cert: string;
  key: string;
  ca: string;
}

export async function startRedis(options: { password?: string; tls?: RedisTls } = {}): Promise<TestRedis> {
  const version = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (version.error || version.status !== 0)
    throw new Error("redis-server is not installed: apt-get install redis-server (.ci/run installs it)");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "orket-redis-"));
  let child: ChildProcess | null = null;
  const start = async () => {
    const args = [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--save",
      "",
    ];
    if (options.password) args.push("--requirepass", options.password);
    if (options.tls)
      args.splice(
        0,
        2,
        "--port",
        "0",
        "--tls-port",
        String(port),
        "--tls-cert-file",
        options.tls.cert,
        "--tls-key-file",
        options.tls.key,
        "--tls-ca-cert-file",
        options.tls.ca,
        "--tls-auth-clients",
        "no",
      );
    child = spawn("redis-server", args, { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    while (!(await answers(port))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await start();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : "";
  return {
    url: `${options.tls ? "rediss" : "redis"}://${auth}127.0.0.1:${port}`,
    port,
    kill9: () => child?.kill("SIGKILL"),
    restart: start,
    stop: async () => {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once("exit", () => resolve());
        running.kill("SIGKILL");
      });
    },
  };
}

/**
 * A certificate authority and a server certificate for 127.0.0.1 (openssl), so a rediss:// client can
 * check the server as it would a real one: the client is given the CA with NODE_EXTRA_CA_CERTS.
 */
export function makeTls(dir: string): RedisTls {
  const run = (args: string[]) => {
    const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (result.error || result.status !== 0)
      throw new Error(
        `openssl ${args[0]} failed (apt-get install openssl; .ci/run installs it): ${result.stderr ?? result.error}`,
      );
  };
  run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=orket-test-ca",
  ]);
  run([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  ]);
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  run([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  ]);
  return { cert: join(dir, "server.pem"), key: join(dir, "server.key"), ca: join(dir, "ca.pem") };
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
