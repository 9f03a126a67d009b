/**
 * The progress events of a bench, a sweep or a run: one typed stream that every reporter reads (the
 * terminal view, the plain line log, `--reporter json`), and that the server's live stream and the
 * queue's progress carry unchanged. Every event has its `type`, a `seq` that starts at 0 and rises by one
 * per event of the run (what a reconnecting client resumes from), the ISO time `at`, and its payload.
 * `schemas/orket-event.v1.schema.json` is exported from these schemas (docs/events.md).
 */
import { z } from "zod";

export const EVENT_SCHEMA_VERSION = "orket.event.v1";

const base = {
  seq: z.number().int().min(0),
  at: z.iso.datetime(),
};

/** What produced the stream. */
export const EVENT_COMMANDS = ["bench", "sweep", "run"] as const;
export type EventCommand = (typeof EVENT_COMMANDS)[number];

export const RunStartEventSchema = z.object({
  type: z.literal("run_start"),
  ...base,
  schema_version: z.literal(EVENT_SCHEMA_VERSION),
  command: z.enum(EVENT_COMMANDS),
  /** The run's id where it has one (`orket run`); null for a bench or a sweep. */
  run_id: z.string().nullable(),
  /** What is being worked: the model reference, the sweep's family, the epic id. */
  subject: z.string(),
  /** Units of work planned (test runs, or cards for a run); null while unknown. */
  total: z.number().int().min(0).nullable(),
});

export const TestRunStartEventSchema = z.object({
  type: z.literal("test_run_start"),
  ...base,
  test_id: z.string(),
  task_id: z.string(),
  /** 0-based position of this test run in its benchmark. */
  index: z.number().int().min(0),
  total: z.number().int().min(0),
  /** The sweep row (a quantization tag, a context size, or `canary`); null outside a sweep. */
  row: z.string().nullable(),
});

export const TestRunEndEventSchema = z.object({
  type: z.literal("test_run_end"),
  ...base,
  test_id: z.string(),
  task_id: z.string(),
  outcome: z.string(),
  /** Test runs finished in this benchmark, this one included, of `total`. */
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  /** Wall time of the test run; null when it was taken from the journal of an earlier, resumed run. */
  seconds: z.number().min(0).nullable(),
  /** True when the run was kept from the journal (`--resume`) rather than run now. */
  resumed: z.boolean(),
  row: z.string().nullable(),
  /** How the answer scored: adherence checks and the evaluator's examples; null when nothing was scored. */
  score: z
    .object({
      adherence_score: z.number().min(0).max(1).nullable(),
      examples_passed: z.number().int().min(0).nullable(),
      examples_total: z.number().int().min(0).nullable(),
      /** The test run's error or the evaluator's error code, when there was one. */
      error_code: z.string().nullable(),
    })
    .nullable()
    .optional(),
});

export const TurnStartEventSchema = z.object({
  type: z.literal("turn_start"),
  ...base,
  issue_id: z.string(),
  seat: z.string(),
  turn: z.number().int().min(1),
});

export const TurnEndEventSchema = z.object({
  type: z.literal("turn_end"),
  ...base,
  issue_id: z.string(),
  seat: z.string(),
  turn: z.number().int().min(1),
  outcome: z.string(),
  code: z.string().nullable(),
  message: z.string().nullable(),
  status_before: z.string(),
  status_after: z.string(),
  seconds: z.number().min(0).nullable(),
});

/** The model's answer growing during a turn: characters so far (sent at most every 250 ms a turn). */
export const TurnOutputEventSchema = z.object({
  type: z.literal("turn_output"),
  ...base,
  issue_id: z.string(),
  chars: z.number().int().min(0),
});

export const ProgressEventSchema = z.object({
  type: z.literal("progress"),
  ...base,
  /** Units finished of `total`: test runs for a bench and a sweep, cards for a run, requests for a concurrency level. */
  done: z.number().int().min(0),
  total: z.number().int().min(0).nullable(),
  unit: z.enum(["test_run", "card", "request"]),
  label: z.string(),
});

export const InfoEventSchema = z.object({
  type: z.literal("info"),
  ...base,
  message: z.string(),
});

export const WarningEventSchema = z.object({
  type: z.literal("warning"),
  ...base,
  /** An error or reason code where the warning has one (`CORRECTIVE_REPROMPT`, a violation's code). */
  code: z.string().nullable(),
  message: z.string(),
});

export const InterruptedEventSchema = z.object({
  type: z.literal("interrupted"),
  ...base,
  /** What stopped it and what happens next ("SIGINT: the partial report is written"). */
  reason: z.string(),
});

export const RunEndEventSchema = z.object({
  type: z.literal("run_end"),
  ...base,
  /** `done`, `interrupted`, or a run's final status (`blocked`, `out_of_turns`, …). */
  status: z.string(),
  reason: z.string().nullable(),
  done: z.number().int().min(0),
  total: z.number().int().min(0).nullable(),
});

/**
 * The last event of `--reporter json`: the same record `--json` prints, or, when the command failed,
 * `record: null` and the error's code and one-line message (the exit code follows it).
 */
export const EndEventSchema = z.object({
  type: z.literal("end"),
  ...base,
  record: z.unknown(),
  error: z.object({ code: z.string().nullable(), message: z.string() }).nullable(),
});

export const OrketEventSchema = z.discriminatedUnion("type", [
  RunStartEventSchema,
  TestRunStartEventSchema,
  TestRunEndEventSchema,
  TurnStartEventSchema,
  TurnEndEventSchema,
  TurnOutputEventSchema,
  ProgressEventSchema,
  InfoEventSchema,
  WarningEventSchema,
  InterruptedEventSchema,
  RunEndEventSchema,
  EndEventSchema,
]);

export type OrketEvent = z.infer<typeof OrketEventSchema>;
export type OrketEventType = OrketEvent["type"];
export type EventOf<T extends OrketEventType> = Extract<OrketEvent, { type: T }>;

type Unstamped<E> = E extends unknown ? Omit<E, "seq" | "at"> : never;
/** An event before the stream gives it its `seq` and `at`. */
export type OrketEventInput =
  | Unstamped<Exclude<OrketEvent, { type: "run_start" }>>
  | Omit<Unstamped<EventOf<"run_start">>, "schema_version">;

/**
 * What a caller of `runBenchmark`, `runQuantSweep`, `runContextSweep` or `runEpic` passes to follow its
 * progress: every hook is optional; `onEvent` sees every event, the typed hooks their one type.
 */
export interface Reporter {
  onEvent?(event: OrketEvent): void;
  onRunStart?(event: EventOf<"run_start">): void;
  onTestRunStart?(event: EventOf<"test_run_start">): void;
  onTestRunEnd?(event: EventOf<"test_run_end">): void;
  onTurnStart?(event: EventOf<"turn_start">): void;
  onTurnEnd?(event: EventOf<"turn_end">): void;
  onTurnOutput?(event: EventOf<"turn_output">): void;
  onProgress?(event: EventOf<"progress">): void;
  onInfo?(event: EventOf<"info">): void;
  onWarning?(event: EventOf<"warning">): void;
  onInterrupted?(event: EventOf<"interrupted">): void;
  onRunEnd?(event: EventOf<"run_end">): void;
  onEnd?(event: EventOf<"end">): void;
}

/** The typed hook each event type is delivered to. */
export const REPORTER_HOOKS = {
  run_start: "onRunStart",
  test_run_start: "onTestRunStart",
  test_run_end: "onTestRunEnd",
  turn_start: "onTurnStart",
  turn_end: "onTurnEnd",
  turn_output: "onTurnOutput",
  progress: "onProgress",
  info: "onInfo",
  warning: "onWarning",
  interrupted: "onInterrupted",
  run_end: "onRunEnd",
  end: "onEnd",
} as const satisfies Record<OrketEventType, keyof Reporter>;

/** The score a `test_run_end` event carries. */
export type TestRunEndScore = NonNullable<EventOf<"test_run_end">["score"]>;
