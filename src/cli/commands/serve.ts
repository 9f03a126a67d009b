/**
 * `orket serve`: the project's HTTP API (and, later, its dashboard) on 127.0.0.1:7317 unless told
 * otherwise. It runs until SIGINT or SIGTERM, which stop it accepting, end running jobs as interrupted
 * with their partial results written, and exit 0.
 */
import type { Command } from "commander";
import type { CliEnvironment } from "../environment.js";
import { untilSignalled } from "../interrupt.js";
import { addProjectFlag, intArg } from "../options.js";
import { addProviderFlags, type ProviderFlags, providerSettings } from "../provider-flags.js";

interface ServeFlags extends ProviderFlags {
  port: number;
  host: string;
  cors?: string;
  project: string;
  queue?: string;
}

export function registerServe(program: Command, env: CliEnvironment): void {
  const command = program
    .command("serve")
    .description("serve the project's API: jobs with live events, runs, boards, reports, sweeps, comparisons")
    .option("--port <n>", "port to listen on (0: any free port)", intArg("--port", 0, 65535), 7317)
    .option(
      "--host <address>",
      "address to listen on; anything but loopback needs ORKET_API_KEY",
      "127.0.0.1",
    )
    .option("--cors <origin>", "let this one browser origin call the API (default: none)")
    .option(
      "--queue <url>",
      "hand bench and sweep jobs to orket worker processes on this queue (redis://host:port or rediss://) instead of running them here",
    );
  addProviderFlags(addProjectFlag(command)).action(async (flags: ServeFlags) => {
    const { startServer } = await import("../../index.js");
    const server = await startServer({
      projectDir: flags.project,
      home: env.home,
      port: flags.port,
      host: flags.host,
      apiKey: process.env.ORKET_API_KEY,
      corsOrigin: flags.cors,
      providers: providerSettings(flags, env),
      queue: flags.queue,
    });
    process.stderr.write(`orket: serving ${flags.project} on ${server.url} (Ctrl-C stops it)\n`);
    await untilSignalled("stopping; running jobs end as interrupted, their partial results saved", () =>
      server.close(),
    );
  });
}
