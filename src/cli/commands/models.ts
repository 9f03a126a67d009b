import type { Command } from "commander";
import type { CliEnvironment } from "../environment.js";
import { CliUsageError } from "../errors.js";
import { choiceArg } from "../options.js";

interface ModelsFlags {
  provider: "ollama" | "openai";
  json?: boolean;
  ollamaHost?: string;
  baseUrl?: string;
  apiKey?: string;
}

export function registerModels(program: Command, env: CliEnvironment): void {
  program
    .command("models")
    .description("list the models a local server offers (Ollama /api/tags, OpenAI-compatible /v1/models)")
    .option(
      "--provider <name>",
      "ollama or openai",
      choiceArg("--provider", ["ollama", "openai"] as const),
      "ollama",
    )
    .option("--json", "print JSON")
    .option("--ollama-host <url>", "Ollama's address (else OLLAMA_HOST, else 127.0.0.1:11434)")
    .option("--base-url <url>", "OpenAI-compatible server base URL, /v1 included (else OPENAI_BASE_URL)")
    .option("--api-key <key>", "API key (else OPENAI_API_KEY)")
    .action(async (flags: ModelsFlags) => {
      const signal = AbortSignal.timeout(10_000);
      if (flags.provider === "ollama") {
        const { listOllamaModels, DEFAULT_OLLAMA_HOST, normalizeOllamaHost } = await import("../../index.js");
        const host = normalizeOllamaHost(flags.ollamaHost ?? env.ollamaHost ?? DEFAULT_OLLAMA_HOST);
        const models = await listOllamaModels({ host }, signal);
        if (flags.json)
          return print(
            JSON.stringify(
              models.map((m) => ({ ...m, model_ref: `ollama/${m.name}` })),
              null,
              2,
            ),
          );
        if (models.length === 0) return print(`Ollama at ${host} has no models (ollama pull <model>)`);
        for (const m of models) {
          const size = typeof m.size === "number" ? `${(m.size / 2 ** 30).toFixed(2)} GiB` : "";
          const quant = m.details?.quantization_level ?? "";
          print(`ollama/${m.name}\t${size}\t${quant}`);
        }
        return;
      }
      const baseURL = flags.baseUrl ?? env.openaiBaseURL;
      if (!baseURL) throw new CliUsageError("models --provider openai needs --base-url or OPENAI_BASE_URL");
      const { listOpenAIModels } = await import("../../index.js");
      const models = await listOpenAIModels({ baseURL, apiKey: flags.apiKey ?? env.openaiApiKey }, signal);
      if (flags.json)
        return print(
          JSON.stringify(
            models.map((m) => ({ ...m, model_ref: `openai/${m.id}` })),
            null,
            2,
          ),
        );
      for (const m of models) print(`openai/${m.id}`);
    });
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
