/**
 * The one place the CLI reads the environment. Flags override environment variables, which override
 * defaults; everything below the CLI gets settings passed in.
 */
import { resolve } from "node:path";

export interface CliEnvironment {
  home: string;
  ollamaHost: string | undefined;
  openaiBaseURL: string | undefined;
  openaiApiKey: string | undefined;
  isTTY: boolean;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): CliEnvironment {
  return {
    home: resolve(env.ORKET_HOME ?? ".orket"),
    ollamaHost: nonEmpty(env.OLLAMA_HOST),
    openaiBaseURL: nonEmpty(env.OPENAI_BASE_URL),
    openaiApiKey: nonEmpty(env.OPENAI_API_KEY),
    isTTY: Boolean(process.stdout.isTTY) && env.CI !== "true",
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() !== "" ? value.trim() : undefined;
}
