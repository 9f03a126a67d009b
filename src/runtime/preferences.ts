/**
 * `orket/preferences.json`: the model each role's seats are routed to (written by `orket select` from
 * sweep results). `orket run` reads it when no `--model` is given; a malformed file is refused with the
 * field named, never half-used.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Preferences, PreferencesSchema } from "../spec/lab.js";
import { ConfigError } from "./config-loader.js";

export const PREFERENCES_FILE = join("orket", "preferences.json");

export async function loadPreferences(projectDir: string): Promise<Preferences | undefined> {
  const path = join(projectDir, PREFERENCES_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(PREFERENCES_FILE, "", `not JSON: ${(error as Error).message}`);
  }
  const parsed = PreferencesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      PREFERENCES_FILE,
      issue?.path.map(String).join(".") ?? "",
      issue?.message ?? "invalid",
    );
  }
  return parsed.data;
}

export interface SeatRoute {
  model_ref: string;
  reason: string;
}

/** Where a role's seats go: its preference, or the run's default model with why. */
export function routeFor(
  role: string,
  preferences: Preferences | undefined,
  fallback: { model_ref: string; reason: string },
): SeatRoute {
  const chosen = preferences?.roles[role];
  if (chosen) return { model_ref: chosen.model_ref, reason: `${PREFERENCES_FILE}: ${chosen.reason}` };
  return {
    model_ref: fallback.model_ref,
    reason: preferences
      ? `${PREFERENCES_FILE} has no model for ${role}; ${fallback.reason}`
      : fallback.reason,
  };
}
