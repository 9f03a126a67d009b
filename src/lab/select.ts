/**
 * `orket select`: reads one or more sweep summaries, chooses a model per role under the role policies
 * (built in, or `orket/lab/role_policies.json`), and writes `orket/preferences.json`, which `orket run`
 * routes seats by. Roles no model qualifies for are left out (their seats keep the run's default
 * model) and said so.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import {
  type Candidate,
  candidatesFrom,
  chooseModels,
  DEFAULT_ROLE_POLICIES,
  type RoleChoice,
} from "../core/lab/model-selection.js";
import { loadProjectConfig } from "../runtime/config-loader.js";
import { PREFERENCES_FILE } from "../runtime/preferences.js";
import {
  PREFERENCES_SCHEMA_VERSION,
  type Preferences,
  RolePolicySchema,
  type SweepSummary,
  SweepSummarySchema,
} from "../spec/lab.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { writeFileAtomic } from "../store/atomic-file.js";

export const ROLE_POLICIES_FILE = join("orket", "lab", "role_policies.json");

export class SelectionInputError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_SELECTION_INPUT: "usage" };
  override readonly code = "BAD_SELECTION_INPUT";
}

export interface SelectOptions {
  projectDir: string;
  sweeps: string[];
  /** Only these roles (default: every role the project knows). */
  roles?: string[] | undefined;
  now?: () => Date;
  /** Compute and report without writing preferences. */
  dryRun?: boolean;
}

export interface SelectResult {
  choices: RoleChoice[];
  preferences: Preferences;
  path: string | null;
}

export async function selectModels(options: SelectOptions): Promise<SelectResult> {
  if (options.sweeps.length === 0) throw new SelectionInputError("--sweep: give at least one sweep summary");
  const candidates: Candidate[] = [];
  const fingerprints = new Set<string>();
  for (const path of options.sweeps) {
    const summary = await readSweep(path);
    candidates.push(...candidatesFrom(summary.rows, resolve(path)));
    fingerprints.add(summary.hardware_fingerprint.fingerprint);
  }
  const config = await loadProjectConfig(options.projectDir);
  const roles = options.roles?.length ? options.roles : [...config.roles.keys()].sort();
  for (const role of roles) {
    if (!config.roles.has(role))
      throw new SelectionInputError(
        `--role: no role named "${role}" (known: ${[...config.roles.keys()].sort().join(", ")})`,
      );
  }
  const policies = { ...DEFAULT_ROLE_POLICIES, ...(await readPolicies(options.projectDir)) };
  const choices = chooseModels(roles, policies, candidates);
  const preferences: Preferences = {
    schema_version: PREFERENCES_SCHEMA_VERSION,
    generated_at: (options.now ?? (() => new Date()))().toISOString(),
    // Preferences measured on several machines are still usable; the fingerprint is then not one value.
    hardware_fingerprint: fingerprints.size === 1 ? ([...fingerprints][0] ?? null) : null,
    roles: Object.fromEntries(
      choices.flatMap((choice) =>
        choice.chosen
          ? [
              [
                choice.role,
                {
                  model_ref: choice.chosen.model_ref,
                  reason: choice.reason,
                  policy: choice.policy,
                  adherence_score: choice.chosen.adherence_score,
                  total_latency: choice.chosen.total_latency,
                  source: choice.chosen.source,
                },
              ],
            ]
          : [],
      ),
    ),
  };
  let path: string | null = null;
  if (!options.dryRun) {
    path = join(options.projectDir, PREFERENCES_FILE);
    await writeFileAtomic(path, `${JSON.stringify(preferences, null, 2)}\n`);
  }
  return { choices, preferences, path };
}

async function readSweep(path: string): Promise<SweepSummary> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SelectionInputError(
      `${path}: ${code === "ENOENT" ? "no such file" : `not JSON: ${(error as Error).message}`}`,
    );
  }
  const parsed = SweepSummarySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SelectionInputError(
      `${path}: ${issue?.path.map(String).join(".") || "(root)"}: ${issue?.message ?? "not a sweep summary"}`,
    );
  }
  return parsed.data;
}

async function readPolicies(projectDir: string): Promise<Record<string, z.infer<typeof RolePolicySchema>>> {
  const path = join(projectDir, ROLE_POLICIES_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SelectionInputError(`${ROLE_POLICIES_FILE}: not JSON: ${(error as Error).message}`);
  }
  const parsed = z.record(z.string(), RolePolicySchema).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SelectionInputError(
      `${ROLE_POLICIES_FILE}: ${issue?.path.map(String).join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}
