/**
 * Loads a project's configuration: the built-ins, overridden by name by the JSON files under
 * `<project>/orket/{roles,teams,environments,dialects,epics,rocks}/`. Every file is validated, and an
 * error names the file and the field.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { z } from "zod";
import { type Epic, EpicSchema, type Rock, RockSchema } from "../spec/cards.js";
import {
  type Dialect,
  DialectSchema,
  type Environment,
  EnvironmentSchema,
  type Role,
  RoleSchema,
  type Team,
  TeamSchema,
} from "../spec/config.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import { BUILTIN_EPICS } from "./builtins/epics.js";
import { BUILTIN_ROLES } from "./builtins/roles.js";
import { BUILTIN_DIALECTS, BUILTIN_ENVIRONMENTS, BUILTIN_TEAMS } from "./builtins/teams.js";

export const CONFIG_DIR = "orket";

export class ConfigError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_CONFIG: "usage" };
  override readonly code = "BAD_CONFIG";
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ""}${detail}`);
  }
}

export interface ProjectConfig {
  projectDir: string;
  roles: Map<string, Role>;
  teams: Map<string, Team>;
  environments: Map<string, Environment>;
  /** In match order: project dialects first, then the built-ins. */
  dialects: Dialect[];
  epics: Map<string, Epic>;
  rocks: Map<string, Rock>;
  /** Where each named item came from: a file path relative to the project, or "built-in". */
  sources: Map<string, string>;
}

interface Kind<T> {
  folder: string;
  schema: z.ZodType<T>;
  key: (item: T) => string;
}

const KINDS = {
  roles: { folder: "roles", schema: RoleSchema, key: (r: Role) => r.name },
  teams: { folder: "teams", schema: TeamSchema, key: (t: Team) => t.name },
  environments: { folder: "environments", schema: EnvironmentSchema, key: (e: Environment) => e.name },
  dialects: { folder: "dialects", schema: DialectSchema, key: (d: Dialect) => d.name },
  epics: { folder: "epics", schema: EpicSchema, key: (e: Epic) => e.id },
  rocks: { folder: "rocks", schema: RockSchema, key: (r: Rock) => r.id },
} as const;

export async function loadProjectConfig(projectDir: string): Promise<ProjectConfig> {
  const sources = new Map<string, string>();
  const load = async <T>(kind: Kind<T>, builtins: T[]): Promise<Map<string, T>> => {
    const items = new Map<string, T>();
    for (const item of builtins) {
      items.set(kind.key(item), item);
      sources.set(`${kind.folder}/${kind.key(item)}`, "built-in");
    }
    for (const [file, item] of await readFolder(projectDir, kind)) {
      items.set(kind.key(item), item);
      sources.set(`${kind.folder}/${kind.key(item)}`, file);
    }
    return items;
  };
  const roles = await load(KINDS.roles, BUILTIN_ROLES);
  const teams = await load(KINDS.teams, BUILTIN_TEAMS);
  const environments = await load(KINDS.environments, BUILTIN_ENVIRONMENTS);
  const projectDialects = await readFolder(projectDir, KINDS.dialects);
  const overridden = new Set(projectDialects.map(([, d]) => d.name));
  const dialects = [
    ...projectDialects.map(([, d]) => d),
    ...BUILTIN_DIALECTS.filter((d) => !overridden.has(d.name)),
  ];
  const epics = await load(KINDS.epics, BUILTIN_EPICS);
  const rocks = await load(KINDS.rocks, []);

  const config: ProjectConfig = { projectDir, roles, teams, environments, dialects, epics, rocks, sources };
  for (const team of teams.values()) checkTeam(config, team);
  for (const epic of epics.values()) checkEpic(config, epic);
  for (const rock of rocks.values()) {
    rock.epics.forEach((id, i) => {
      if (!epics.has(id))
        throw new ConfigError(sourceOf(config, "rocks", rock.id), `epics.${i}`, `no epic named "${id}"`);
    });
  }
  return config;
}

async function readFolder<T>(projectDir: string, kind: Kind<T>): Promise<Array<[string, T]>> {
  const dir = join(projectDir, CONFIG_DIR, kind.folder);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const seen = new Map<string, string>();
  const items: Array<[string, T]> = [];
  for (const name of names) {
    const path = join(dir, name);
    const file = relative(projectDir, path);
    let value: unknown;
    try {
      value = JSON.parse(await readFile(path, "utf8"));
    } catch (error) {
      throw new ConfigError(file, "", `not valid JSON (${(error as Error).message})`);
    }
    const parsed = kind.schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(file, issue?.path.map(String).join(".") ?? "", issue?.message ?? "invalid");
    }
    const key = kind.key(parsed.data);
    const stem = name.slice(0, -".json".length);
    if (stem !== key) throw new ConfigError(file, "name", `"${key}" must match the file name "${stem}"`);
    const earlier = seen.get(key);
    if (earlier) throw new ConfigError(file, "name", `"${key}" is also defined in ${earlier}`);
    seen.set(key, file);
    items.push([file, parsed.data]);
  }
  return items;
}

function sourceOf(config: ProjectConfig, folder: string, name: string): string {
  return config.sources.get(`${folder}/${name}`) ?? `built-in ${folder}/${name}`;
}

function checkTeam(config: ProjectConfig, team: Team): void {
  const file = sourceOf(config, "teams", team.name);
  for (const [seat, { role }] of Object.entries(team.seats)) {
    if (!config.roles.has(role)) throw new ConfigError(file, `seats.${seat}.role`, `no role named "${role}"`);
  }
  for (const field of ["review_seat", "guard_seat"] as const) {
    if (!team.seats[team[field]])
      throw new ConfigError(file, field, `no seat named "${team[field]}" in this team`);
  }
  const guardRole = team.seats[team.guard_seat]?.role;
  if (guardRole !== "integrity_guard") {
    throw new ConfigError(
      file,
      `seats.${team.guard_seat}.role`,
      `the guard seat must have the integrity_guard role, not "${guardRole}"`,
    );
  }
}

function checkEpic(config: ProjectConfig, epic: Epic): void {
  const file = sourceOf(config, "epics", epic.id);
  const team = config.teams.get(epic.team);
  if (!team) throw new ConfigError(file, "team", `no team named "${epic.team}"`);
  if (!config.environments.has(epic.environment)) {
    throw new ConfigError(file, "environment", `no environment named "${epic.environment}"`);
  }
  const ids = new Set<string>();
  epic.issues.forEach((issue, i) => {
    if (ids.has(issue.id)) throw new ConfigError(file, `issues.${i}.id`, `duplicate issue id "${issue.id}"`);
    ids.add(issue.id);
    if (!team.seats[issue.seat]) {
      throw new ConfigError(
        file,
        `issues.${i}.seat`,
        `team "${team.name}" has no seat "${issue.seat}" (${Object.keys(team.seats).join(", ")})`,
      );
    }
  });
  epic.issues.forEach((issue, i) => {
    issue.depends_on.forEach((dep, j) => {
      if (!ids.has(dep))
        throw new ConfigError(file, `issues.${i}.depends_on.${j}`, `no issue "${dep}" in this epic`);
      if (dep === issue.id)
        throw new ConfigError(file, `issues.${i}.depends_on.${j}`, "an issue cannot depend on itself");
    });
  });
  const cycle = findCycle(epic);
  if (cycle) throw new ConfigError(file, "issues", `dependency cycle: ${cycle.join(" → ")}`);
}

/** A dependency cycle as a path of ids, or undefined. */
export function findCycle(epic: Pick<Epic, "issues">): string[] | undefined {
  const deps = new Map(epic.issues.map((i) => [i.id, i.depends_on]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const id of deps.keys()) {
    const found = visit(id);
    if (found) return found;
  }
  return undefined;
}

/** The dialect for a model reference: the first whose match list has a substring of it. */
export function dialectFor(config: Pick<ProjectConfig, "dialects">, modelRef: string): Dialect {
  const ref = modelRef.toLowerCase();
  const found = config.dialects.find((d) => d.match.some((m) => ref.includes(m.toLowerCase())));
  const fallback = config.dialects.find((d) => d.match.length === 0);
  if (found) return found;
  if (fallback) return fallback;
  return {
    name: "generic",
    match: [],
    tool_call_format: "json_fenced",
    system_prefix: "",
    native_tools: false,
  };
}
