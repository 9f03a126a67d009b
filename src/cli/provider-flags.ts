/**
 * The flags that say how to reach a model, shared by every command that calls one, and the one place
 * they are turned into provider settings (flags over environment variables).
 */
import type { Command } from "commander";
import type { ProviderSettings } from "../index.js";
import type { CliEnvironment } from "./environment.js";
import { CliUsageError } from "./errors.js";
import { choiceArg, intArg, outputFileArg, serverUrlArg, serverUrlProblem } from "./options.js";

export interface ProviderFlags {
  ollamaHost?: string;
  baseUrl?: string;
  apiKey?: string;
  serverPid?: number;
  gpu?: boolean;
  pacing?: "recorded" | "instant";
  record?: string;
}

export function addProviderFlags(command: Command): Command {
  return command
    .option(
      "--ollama-host <url>",
      "Ollama's address (else OLLAMA_HOST, else 127.0.0.1:11434)",
      serverUrlArg("--ollama-host", true),
    )
    .option(
      "--base-url <url>",
      "OpenAI-compatible server base URL, /v1 included (else OPENAI_BASE_URL)",
      serverUrlArg("--base-url"),
    )
    .option("--api-key <key>", "API key for the OpenAI-compatible server (else OPENAI_API_KEY)")
    .option(
      "--server-pid <pid>",
      "pid of the local model server, to measure its peak RSS",
      intArg("--server-pid", 1),
    )
    .option("--gpu", "embedded engine: use a GPU when one is present (default: CPU)")
    .option(
      "--pacing <mode>",
      "replay: recorded or instant",
      choiceArg("--pacing", ["recorded", "instant"] as const),
    )
    .option(
      "--record <file>",
      "record every model call to a cassette for replay/<file>",
      outputFileArg("--record"),
    );
}

export function providerSettings(flags: ProviderFlags, env: CliEnvironment): ProviderSettings {
  // The environment's URLs get the flags' check, naming the variable.
  for (const [name, value, bare] of [
    ["OPENAI_BASE_URL", flags.baseUrl === undefined ? env.openaiBaseURL : undefined, false],
    ["OLLAMA_HOST", flags.ollamaHost === undefined ? env.ollamaHost : undefined, true],
  ] as const) {
    const problem = value === undefined ? null : serverUrlProblem(value, bare);
    if (problem !== null) throw new CliUsageError(`${name} "${value}" ${problem}`);
  }
  return {
    ollamaHost: flags.ollamaHost ?? env.ollamaHost,
    openaiBaseURL: flags.baseUrl ?? env.openaiBaseURL,
    openaiApiKey: flags.apiKey ?? env.openaiApiKey,
    serverPid: flags.serverPid,
    gpu: flags.gpu ? "auto" : false,
    replayPacing: flags.pacing,
    recordPath: flags.record,
  };
}
