/**
 * Re-executes one stored turn's first model call from its stored messages, against the model it used
 * (a cassette or a live server) or another one, and shows how the new answer differs from the stored.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createTwoFilesPatch } from "diff";
import { createModelAdapter, type ProviderSettings } from "../providers/index.js";
import type { CallSettings, ModelMessage } from "../spec/model.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import type { CallTelemetry } from "../spec/telemetry.js";
import { callModel } from "../telemetry/model-call.js";

export interface ReplayTurnOptions {
  runDir: string;
  issueId: string;
  turn: number;
  /** Default: the model the turn used. */
  model?: string | undefined;
  providers?: ProviderSettings;
}

export interface ReplayTurnResult {
  turnDir: string;
  modelRef: string;
  original: string;
  replayed: string;
  same: boolean;
  diff: string;
  telemetry: CallTelemetry;
  error: { code: string; message: string } | null;
}

export class TurnNotFoundError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { TURN_NOT_FOUND: "usage" };
  override readonly code = "TURN_NOT_FOUND";
}

export async function replayTurn(options: ReplayTurnOptions): Promise<ReplayTurnResult> {
  const issueDir = join(options.runDir, "turns", options.issueId);
  const prefix = `${String(options.turn).padStart(3, "0")}-`;
  let names: string[];
  try {
    names = await readdir(issueDir);
  } catch {
    throw new TurnNotFoundError(`no turns stored for issue ${options.issueId} in ${options.runDir}`);
  }
  const folder = names.find((n) => n.startsWith(prefix));
  if (!folder)
    throw new TurnNotFoundError(
      `issue ${options.issueId} has no turn ${options.turn} (stored: ${names.sort().join(", ")})`,
    );
  const turnDir = join(issueDir, folder);
  const messages = JSON.parse(await readFile(join(turnDir, "messages.json"), "utf8")) as ModelMessage[];
  const checkpoint = JSON.parse(await readFile(join(turnDir, "checkpoint.json"), "utf8")) as {
    model_ref: string;
    call_settings?: CallSettings;
    telemetry: Array<{ streaming: boolean }>;
  };
  const original = await readFile(join(turnDir, "response-1.txt"), "utf8").catch(() => "");
  // The first call saw the compiled prompt only: the system and the first user message.
  const firstCall = messages.slice(0, 2);
  const modelRef = options.model ?? checkpoint.model_ref;
  const adapter = createModelAdapter(modelRef, { replayPacing: "instant", ...options.providers });
  try {
    const request = { messages: firstCall, ...checkpoint.call_settings };
    const result = await callModel(adapter, request, { stream: checkpoint.telemetry[0]?.streaming ?? true });
    const replayed = result.text;
    return {
      turnDir,
      modelRef,
      original,
      replayed,
      same: replayed === original,
      diff: replayed === original ? "" : createTwoFilesPatch("stored", "replayed", original, replayed),
      telemetry: result.telemetry,
      error: result.ok ? null : { code: result.error.code, message: result.error.message },
    };
  } finally {
    await adapter.close?.();
  }
}
