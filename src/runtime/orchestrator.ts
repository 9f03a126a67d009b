/**
 * `runEpic`: the execution loop. Syncs the epic's cards into the store, then plans and works turns
 * (concurrently, up to the limit) until nothing is left to do, the iteration cap, or a systemic failure.
 * A failed turn fails its card (retried until `max_retries`, then blocked), not the run. The run ends
 * done, incomplete or terminal_failure, with a summary, a ledger line per turn and a JSONL event log.
 */

import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { type PlannedWork, planNext } from "../core/runtime/planner.js";
import { createModelAdapter, type ProviderSettings } from "../providers/index.js";
import type { Actor, Epic } from "../spec/cards.js";
import type { ExecutionLane, VramProfile } from "../spec/common.js";
import type { Reporter } from "../spec/events.js";
import type { VisibilityMode } from "../spec/memory.js";
import type { CallSettings, ModelAdapter } from "../spec/model.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import type { ToolCall } from "../spec/tools.js";
import { writeFileAtomic } from "../store/atomic-file.js";
import { CardStore } from "../store/card-store.js";
import { openDatabase } from "../store/db.js";
import { projectDatabasePath } from "../store/project-state.js";
import { RunStore } from "../store/run-store.js";
import { BuildBusyError } from "../store/store-errors.js";
import { abortReason, type EventSink, eventStreamFor } from "../telemetry/event-stream.js";
import { errorType, type Scope, startScope } from "../telemetry/observers.js";
import { ConfigError, dialectFor, loadProjectConfig, type ProjectConfig } from "./config-loader.js";
import { EventLog, type RunEvent } from "./event-log.js";
import { resolveDefaultModel } from "./generate.js";
import { type Interceptor, InterceptorChain } from "./interceptors.js";
import { RunMemory } from "./memory-access.js";
import { MemoryTraceRecorder } from "./memory-trace.js";
import { loadPreferences, routeFor, type SeatRoute } from "./preferences.js";
import { runProgress } from "./run-progress.js";
import { type LoopResult, type RunSummary, summarize } from "./run-summary.js";
import { createWorkspace } from "./tools/workspace.js";
import { executeTurn, type TurnOutcome, type TurnServices } from "./turn-executor.js";

export type { RunStatus, RunSummary } from "./run-summary.js";

export interface RunEpicOptions {
  projectDir: string;
  /**
   * The machine-wide folder (`ORKET_HOME`): the smoke model the default model choice may write. A
   * project's cards, runs and memory never live here (docs/runtime.md, Where state lives).
   */
  home: string;
  /** The project's state folder, holding `orket.db` (cards, runs, memory); default `<projectDir>/.orket`. */
  stateDir?: string;
  epicId: string;
  /** An epic made in code (the benchmark's agent mode) instead of one from the project's files. */
  epic?: Epic;
  /** Sampling settings that override the epic environment's (the benchmark fixes its own). */
  callSettings?: CallSettings;
  /** Overrides the epic environment's model. */
  model?: string | undefined;
  /** The run's folder (default `<projectDir>/workspace/<epic>`): agent output in `output/`, runs in `runs/`. */
  workspaceDir?: string | undefined;
  resume?: boolean;
  concurrency?: number;
  /** Most turns in the whole run (default 200). */
  maxIterations?: number;
  /** Most turns one issue may take before it is blocked (default 12). */
  maxTurnsPerIssue?: number;
  providers?: ProviderSettings;
  interceptors?: Interceptor[];
  lane?: ExecutionLane;
  vramProfile?: VramProfile;
  signal?: AbortSignal;
  /** Destructive tools (write_file): allowed by default. */
  confirmDestructive?: (call: ToolCall) => boolean | Promise<boolean>;
  /** Told of every event of the run's log (`events.jsonl`) as it is written: the artifact, line by line. */
  onEvent?: (event: RunEvent) => void;
  /**
   * Follows the run (docs/events.md): `run_start`, each turn's start, output and end, progress in
   * cards, warnings (violations, corrective reprompts, blocked cards), `interrupted`, `run_end`.
   */
  reporter?: Reporter | EventSink | undefined;
  /** An adapter to use instead of making one from the model reference (tests, benchmarks). */
  adapter?: ModelAdapter;
  /** Project memory visibility for the seats (default off). */
  memory?: VisibilityMode;
  /** Write memory_trace.json and memory_retrieval_trace.json beside every turn's artifacts. */
  memoryTrace?: boolean;
  /** Cap on one trace file (default 10 MiB). */
  maxTraceBytes?: number;
  /** Destructive tools are refused (recorded in the traces' policy set). */
  denyWrites?: boolean;
  /**
   * Route each seat to its role's model from `orket/preferences.json` (default true). Ignored when a
   * model or an adapter is given: an explicit model serves every seat.
   */
  routing?: boolean;
  now?: () => Date;
}

export class RunRefusedError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { RUN_REFUSED: "usage" };
  override readonly code = "RUN_REFUSED";
}

/** Provider failures that mean the model cannot be used at all: three in a row end the run. */
const SYSTEMIC_CODES = new Set([
  "CONNECTION_REFUSED",
  "MODEL_NOT_FOUND",
  "MODEL_LOAD_FAILED",
  "CASSETTE_MISS",
]);
const SYSTEMIC_STREAK = 3;
const SYSTEM: Actor = { kind: "system", name: "orchestrator" };

export async function runEpic(options: RunEpicOptions): Promise<RunSummary> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const started = performance.now();
  const config = await loadProjectConfig(options.projectDir);
  const epic = options.epic ?? config.epics.get(options.epicId);
  if (!epic) {
    throw new ConfigError(
      "epic",
      "--epic",
      `no epic named "${options.epicId}" (known: ${[...config.epics.keys()].sort().join(", ")})`,
    );
  }
  const team = config.teams.get(epic.team);
  const environment = config.environments.get(epic.environment);
  if (!team || !environment)
    throw new ConfigError(options.epicId, "team", "epic refers to a missing team or environment");

  const workspaceDir = resolve(options.workspaceDir ?? join(options.projectDir, "workspace", epic.id));
  const buildId = `${epic.id}@${basename(workspaceDir)}`;
  const epicSource = config.sources.get(`epics/${epic.id}`) ?? epic.id;
  const seen = new Map<string, number>();
  const references = epic.references.map((ref, i) => {
    const path = resolve(options.projectDir, ref);
    if (!existsSync(path)) throw new ConfigError(epicSource, `references.${i}`, `${ref} does not exist`);
    // The agents see each reference by its file name, so two with one name could not be told apart.
    const name = basename(ref);
    const first = seen.get(name);
    if (first !== undefined) {
      throw new ConfigError(
        epicSource,
        `references.${i}`,
        `${ref} has the same file name as references.${first} (${epic.references[first]}); the agents see references by name, so rename one`,
      );
    }
    seen.set(name, i);
    return { name, path };
  });
  const workspace = await createWorkspace({ root: join(workspaceDir, "output"), references });

  const db = openDatabase(projectDatabasePath(options.projectDir, options.stateDir));
  const cards = new CardStore(db);
  const runs = new RunStore(db);
  const runId = `${startedAt.toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomUUID().slice(0, 8)}`;
  const runDir = join(workspaceDir, "runs", runId);
  const stream = eventStreamFor(options.reporter);
  const progress = runProgress(stream, () => cards.getIssues(buildId).map((issue) => issue.status));
  const scopes = runScopes(runId);
  const events = new EventLog(join(runDir, "events.jsonl"), runId, now, (event) => {
    options.onEvent?.(event);
    progress.onLogEvent(event);
    scopes.onLogEvent(event);
  });
  const info = (message: string) => stream.emit({ type: "info", message });
  const emit = (type: string, data: Record<string, unknown> = {}) => {
    events.emit(type, data);
  };

  let adapter: ModelAdapter | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const routed = new Map<string, ModelAdapter>();
  try {
    refuseIfBusy(cards, runs, buildId, options, now);
    const preferences =
      options.routing === false || options.adapter || options.model
        ? undefined
        : await loadPreferences(options.projectDir);
    let modelRef = options.adapter?.ref ?? options.model ?? environment.model;
    let because = options.adapter
      ? "the adapter given"
      : options.model
        ? "--model"
        : `the ${environment.name} environment's model`;
    if (!options.adapter && !modelRef) {
      const chosen = await resolveDefaultModel({
        home: options.home,
        providers: options.providers,
        onNotice: info,
      });
      modelRef = chosen.ref;
      because = chosen.because;
      info(`model: ${chosen.ref} (${chosen.because})`);
    }
    adapter =
      options.adapter ??
      createModelAdapter(modelRef ?? "", { ...options.providers, contextSize: environment.context_size });
    // Claiming the build and checking that no live run holds it are one write transaction; only then are
    // its cards touched, so of several processes started at once one goes ahead and the rest change nothing.
    try {
      runs.startRun(
        {
          runId,
          buildId,
          epicId: epic.id,
          modelRef: adapter.ref,
          workspace: workspaceDir,
          pid: process.pid,
          now: now(),
        },
        { staleAfterMs: STALE_RUN_MS },
      );
    } catch (error) {
      if (error instanceof BuildBusyError) throw new RunRefusedError(error.message);
      throw error;
    }
    try {
      prepareBuild(cards, runs, buildId, runId, epic, options, now, emit);
    } catch (error) {
      runs.finishRun(
        runId,
        "terminal_failure",
        { reason: error instanceof Error ? error.message : String(error) },
        now(),
      );
      throw error;
    }
    emit("run_started", {
      build_id: buildId,
      epic_id: epic.id,
      model_ref: adapter.ref,
      workspace: workspaceDir,
      resume: Boolean(options.resume),
    });

    const settings: CallSettings = {
      temperature: environment.temperature,
      seed: environment.seed,
      topP: environment.top_p,
      maxOutputTokens: environment.max_output_tokens,
      contextSize: environment.context_size,
      ...options.callSettings,
    };
    const recorder = options.memoryTrace
      ? new MemoryTraceRecorder({
          runId,
          workflowId: epic.id,
          settings,
          dialectFor: (ref) => dialectFor(config, ref),
          lane: options.lane ?? "ci",
          vramProfile: options.vramProfile ?? "safe",
          denyWrites: options.denyWrites,
          maxTraceBytes: options.maxTraceBytes,
          onTruncated: (file, bytes, kept) =>
            emit("memory_trace_truncated", { file, original_bytes: bytes, kept_events: kept }),
        })
      : undefined;
    const memory = new RunMemory({
      db,
      mode: options.memory ?? "off",
      runId,
      epicId: epic.id,
      now,
      onRetrieval: (ctx, result) => {
        recorder?.noteRetrieval(ctx, result);
        emit("memory_retrieval", {
          issue_id: ctx.issue.id,
          turn: ctx.turn,
          snapshot_id: result.snapshot.snapshot_id,
          query_fingerprint: result.query_fingerprint,
          candidate_count: result.candidate_count,
          record_ids: result.hits.map((hit) => hit.record.record_id),
        });
      },
    });
    const recovered = memory.recover();
    if (recovered.discarded.length + recovered.applied.length + recovered.aborted.length > 0)
      emit("memory_commits_recovered", { ...recovered });
    heartbeat = setInterval(() => {
      runs.heartbeat(runId, now());
      memory.renewLeases();
    }, 2000);
    heartbeat.unref();
    const routing: Record<string, SeatRoute> = {};
    const services: TurnServices = {
      adapter,
      store: cards,
      workspace,
      interceptors: new InterceptorChain([...(recorder ? [recorder] : []), ...(options.interceptors ?? [])]),
      events,
      runDir,
      memory,
      settings,
      route: (role) => {
        const route = routeFor(role, preferences, { model_ref: services.adapter.ref, reason: because });
        if (!routing[role]) {
          routing[role] = route;
          emit("seat_routed", { role, model_ref: route.model_ref, reason: route.reason });
        }
        if (route.model_ref === services.adapter.ref) return services.adapter;
        let routedAdapter = routed.get(route.model_ref);
        if (!routedAdapter) {
          routedAdapter = createModelAdapter(route.model_ref, {
            ...options.providers,
            contextSize: environment.context_size,
          });
          routed.set(route.model_ref, routedAdapter);
        }
        return routedAdapter;
      },
      call: {
        timeoutMs: environment.timeout_ms,
        lane: options.lane,
        vramProfile: options.vramProfile,
        signal: options.signal,
      },
      onTextDelta: progress.onTextDelta,
      confirmDestructive: options.confirmDestructive ?? (() => true),
      now,
    };

    const board = () =>
      cards.getIssues(buildId).map((i) => ({
        id: i.id,
        status: i.status,
        wait_reason: i.wait_reason,
        attempts: i.attempts,
        turns: i.turns,
      }));
    runs.saveSnapshot(runId, "board:start", board(), now());
    const loop = await workLoop({
      config,
      epic,
      team,
      buildId,
      runId,
      cards,
      runs,
      services,
      options,
      emit,
      now,
    });
    runs.saveSnapshot(runId, "board:end", board(), now());
    const summary = summarize({
      routing,
      loop,
      cards,
      buildId,
      runId,
      epic,
      adapter,
      workspaceDir,
      runDir,
      startedAt,
      started,
      now,
      options,
    });
    runs.finishRun(runId, summary.status, summary, now());
    await writeFileAtomic(join(runDir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
    if (options.signal?.aborted) {
      stream.emit({
        type: "interrupted",
        reason: `${abortReason(options.signal)}: no turn was started after it`,
      });
    }
    emit("run_finished", { status: summary.status, reason: summary.reason });
    return summary;
  } catch (error) {
    scopes.fail(error);
    throw error;
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    if (!options.adapter) await adapter?.close?.();
    for (const other of routed.values()) await other.close?.();
    db.close();
  }
}

/** A run whose heartbeat is older than this is not live, whatever its pid says (the pid may be reused). */
const STALE_RUN_MS = 30_000;

/**
 * The refusals that need no write, checked before anything else so that a refused run leaves no trace:
 * another live run of the build, or cards an earlier run stranded mid-turn without --resume. (The
 * claim in `startRun` checks liveness again, atomically: two processes can both pass this check.)
 */
function refuseIfBusy(
  cards: CardStore,
  runs: RunStore,
  buildId: string,
  options: RunEpicOptions,
  now: () => Date,
): void {
  const crashed = new Set(
    runs.findCrashedRuns({ now: now(), staleAfterMs: STALE_RUN_MS }).map((r) => r.run_id),
  );
  const live = runs
    .listRuns(50)
    .find((r) => r.build_id === buildId && r.status === "running" && !crashed.has(r.run_id));
  if (live) throw new RunRefusedError(new BuildBusyError(buildId, live.run_id, live.pid).message);
  const stranded = cards.getIssues(buildId).filter((i) => i.status === "in_progress");
  if (stranded.length > 0 && !options.resume) throw strandedRefusal(buildId, stranded);
}

function strandedRefusal(buildId: string, stranded: ReadonlyArray<{ id: string }>): RunRefusedError {
  return new RunRefusedError(
    `build ${buildId} has in-progress cards from an earlier run that did not finish (${stranded.map((i) => i.id).join(", ")}); run again with --resume`,
  );
}

/**
 * Readies the build for the run that has just claimed it (`runId`): the epic's cards synced, runs left
 * running by dead processes marked crashed, and cards they stranded mid-turn requeued (with --resume).
 */
function prepareBuild(
  cards: CardStore,
  runs: RunStore,
  buildId: string,
  runId: string,
  epic: Epic,
  options: RunEpicOptions,
  now: () => Date,
  emit: (type: string, data?: Record<string, unknown>) => void,
): void {
  const crashed = runs
    .findCrashedRuns({ now: now(), staleAfterMs: STALE_RUN_MS })
    .filter((r) => r.build_id === buildId && r.run_id !== runId);
  const sync = cards.syncEpic(buildId, epic, now());
  emit("cards_synced", { build_id: buildId, created: sync.created, kept: sync.kept });
  const stranded = cards.getIssues(buildId).filter((i) => i.status === "in_progress");
  if (stranded.length > 0 && !options.resume) throw strandedRefusal(buildId, stranded);
  for (const run of crashed) {
    runs.finishRun(run.run_id, "crashed", { reason: "found without a live process on resume" }, now());
    emit("run_marked_crashed", { crashed_run_id: run.run_id, pid: run.pid });
  }
  for (const issue of stranded) {
    cards.transition({
      buildId,
      issueId: issue.id,
      to: "ready",
      actor: SYSTEM,
      reason: "requeued on resume: its run ended mid-turn",
      now: now(),
    });
    emit("card_requeued", { issue_id: issue.id });
  }
}

interface LoopInput {
  config: ProjectConfig;
  epic: Epic;
  team: NonNullable<ReturnType<ProjectConfig["teams"]["get"]>>;
  buildId: string;
  runId: string;
  cards: CardStore;
  runs: RunStore;
  services: TurnServices;
  options: RunEpicOptions;
  emit: (type: string, data?: Record<string, unknown>) => void;
  now: () => Date;
}

async function workLoop(input: LoopInput): Promise<LoopResult> {
  const { cards, buildId, options, emit, team } = input;
  const concurrency = options.concurrency ?? 3;
  const maxIterations = options.maxIterations ?? 200;
  const inFlight = new Map<string, Promise<void>>();
  const turns: TurnOutcome[] = [];
  let iterations = 0;
  let systemicStreak = 0;
  let stopReason = "nothing left to work";
  let systemicFailure = false;
  let fatal: unknown;

  const work = async (planned: PlannedWork) => {
    const outcome = await workOne(input, planned);
    if (!outcome) return;
    turns.push(outcome);
    systemicStreak =
      outcome.outcome === "provider_error" && SYSTEMIC_CODES.has(outcome.code ?? "") ? systemicStreak + 1 : 0;
    if (systemicStreak >= SYSTEMIC_STREAK) {
      systemicFailure = true;
      stopReason = `${SYSTEMIC_STREAK} turns in a row failed with ${outcome.code}: ${outcome.message}`;
    }
  };

  while (!systemicFailure && fatal === undefined) {
    if (options.signal?.aborted) {
      stopReason = "interrupted";
      break;
    }
    const plan = planNext(cards.getIssues(buildId), {
      reviewSeat: team.review_seat,
      guardSeat: team.guard_seat,
      concurrency,
      inFlight: new Set(inFlight.keys()),
    });
    for (const { issueId, reason } of plan.block) {
      cards.transition({
        buildId,
        issueId,
        to: "blocked",
        actor: SYSTEM,
        reason,
        waitReason: "dependency",
        runId: input.runId,
        now: input.now(),
      });
      emit("card_blocked", { issue_id: issueId, reason });
    }
    for (const { issueId, reason } of plan.release) {
      cards.transition({
        buildId,
        issueId,
        to: "ready",
        actor: SYSTEM,
        reason,
        runId: input.runId,
        now: input.now(),
      });
      emit("card_released", { issue_id: issueId, reason });
    }
    for (const planned of plan.work) {
      if (iterations >= maxIterations) {
        stopReason = `iteration cap of ${maxIterations} turns reached`;
        break;
      }
      iterations++;
      const task = work(planned)
        .catch((error: unknown) => {
          fatal ??= error;
        })
        .finally(() => inFlight.delete(planned.issueId));
      inFlight.set(planned.issueId, task);
    }
    if (inFlight.size === 0) {
      if (plan.block.length > 0 || plan.release.length > 0) continue;
      break;
    }
    await Promise.race(inFlight.values());
  }
  await Promise.all(inFlight.values());
  if (fatal !== undefined) throw fatal;
  return { turns, stopReason, systemicFailure };
}

async function workOne(input: LoopInput, planned: PlannedWork): Promise<TurnOutcome | undefined> {
  const { cards, buildId, runId, epic, team, config, options, emit, now } = input;
  const issue = cards.getIssue(buildId, planned.issueId);
  if (!issue) return undefined;
  const maxTurns = options.maxTurnsPerIssue ?? 12;
  if (issue.turns >= maxTurns) {
    cards.transition({
      buildId,
      issueId: issue.id,
      to: "blocked",
      actor: SYSTEM,
      reason: `turn cap of ${maxTurns} reached`,
      waitReason: "system",
      runId,
      now: now(),
    });
    emit("card_blocked", { issue_id: issue.id, reason: "turn cap" });
    return undefined;
  }
  if (
    planned.stage === "implement" &&
    (issue.status === "ready" || issue.status === "guard_requested_changes")
  ) {
    cards.transition({
      buildId,
      issueId: issue.id,
      to: "in_progress",
      actor: SYSTEM,
      reason: `picked up by the ${planned.seat} seat`,
      runId,
      now: now(),
    });
  }
  const roleName = team.seats[planned.seat]?.role;
  const role = roleName ? config.roles.get(roleName) : undefined;
  if (!role) throw new ConfigError(`team ${team.name}`, `seats.${planned.seat}`, "no such seat or role");

  const adapter = input.services.route?.(role.name) ?? input.services.adapter;
  const outcome = await executeTurn(
    {
      runId,
      buildId,
      epic,
      issueId: issue.id,
      stage: planned.stage,
      seat: planned.seat,
      role,
      dialect: dialectFor(config, adapter.ref),
    },
    adapter === input.services.adapter ? input.services : { ...input.services, adapter },
  );
  input.runs.appendLedger(runId, {
    issue_id: issue.id,
    seat: planned.seat,
    role: role.name,
    turn: outcome.turn,
    outcome: outcome.outcome,
    error_code: outcome.code,
    internal_model_seconds: outcome.internalModelSeconds,
    total_seconds: outcome.totalSeconds,
    at: now(),
    detail: {
      stage: planned.stage,
      status_before: outcome.statusBefore,
      status_after: outcome.statusAfter,
      message: outcome.message,
    },
  });
  settleCard(input, issue.id, outcome);
  return outcome;
}

/** After a turn: a failure costs an attempt; out of attempts the card is blocked, else it is retried. */
function settleCard(input: LoopInput, issueId: string, outcome: TurnOutcome): void {
  const { cards, buildId, runId, emit, now } = input;
  const card = cards.getIssue(buildId, issueId);
  if (!card) return;
  const rejected = outcome.outcome === "ok" && card.status === "guard_rejected";
  if (outcome.outcome === "ok" && !rejected) return;
  if (card.status === "blocked") return;
  const attempts = cards.recordAttempt(buildId, issueId);
  const why = rejected
    ? "rejected by the integrity guard"
    : `turn failed: ${outcome.code}: ${outcome.message}`;
  if (attempts > card.max_retries) {
    cards.transition({
      buildId,
      issueId,
      to: "blocked",
      actor: SYSTEM,
      reason: `${why} (attempt ${attempts}, max_retries ${card.max_retries})`,
      waitReason: "system",
      runId,
      now: now(),
    });
    emit("card_blocked", { issue_id: issueId, reason: why, attempts });
    return;
  }
  if (card.status === "in_progress" || card.status === "guard_rejected" || card.status === "code_review") {
    cards.transition({
      buildId,
      issueId,
      to: "ready",
      actor: SYSTEM,
      reason: `retry after ${why}`,
      runId,
      now: now(),
    });
  }
  emit("card_retry", { issue_id: issueId, reason: why, attempts });
}

/**
 * The run's observer scopes (the OpenTelemetry export's spans), opened and closed by its own log
 * events: the run from `run_started` to `run_finished`, each turn from `turn_started` to `turn_finished`.
 */
function runScopes(runId: string) {
  let run: Scope | undefined;
  let turn: Scope | undefined;
  return {
    onLogEvent(event: { type: string } & Record<string, unknown>) {
      if (event.type === "run_started") {
        run = startScope("run", `${String(event.epic_id)} on ${String(event.model_ref)}`, {
          "orket.run_id": runId,
          "orket.epic_id": String(event.epic_id),
        });
      } else if (event.type === "turn_started") {
        turn = startScope("turn", `${String(event.issue_id)} · ${String(event.seat)}`, {
          "orket.issue_id": String(event.issue_id),
          "orket.seat": String(event.seat),
          "orket.turn": Number(event.turn),
        });
      } else if (event.type === "turn_finished") {
        const outcome = String(event.outcome);
        turn?.end({
          status: outcome,
          failed: outcome !== "ok",
          attributes: {
            "orket.status_after": String(event.status_after),
            "error.type": nullableString(event.code),
          },
        });
        turn = undefined;
      } else if (event.type === "run_finished") {
        const status = String(event.status);
        run?.end({ status, failed: status !== "done" });
        run = undefined;
      }
    },
    fail(error: unknown) {
      turn?.end({ status: "error", failed: true, attributes: { "error.type": errorType(error) } });
      run?.end({ status: "error", failed: true, attributes: { "error.type": errorType(error) } });
    },
  };
}

function nullableString(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}
