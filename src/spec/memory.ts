/**
 * Project memory and the two memory traces (docs/memory.md: "Traces", "The commit buffer"). A determinism trace is one turn's decisions as lifecycle events; a retrieval
 * trace is the memory lookups those decisions consumed, linked both ways by ids. Both are compared by
 * `orket memory compare` to prove two runs behaved the same.
 */
import { z } from "zod";
import { ExecutionLaneSchema, VramProfileSchema } from "./common.js";
import {
  LIFECYCLE_INTERCEPTORS,
  TRUST_LEVELS,
  type Trust,
  VISIBILITY_MODES,
  type VisibilityMode,
} from "./memory-modes.js";

export const DETERMINISM_TRACE_VERSION = "memory.determinism_trace.v1";
export const RETRIEVAL_TRACE_VERSION = "memory.retrieval_trace.v1";
/** Default cap on one trace file: a trace over it is cut at an event boundary with a marker. */
export const DEFAULT_MAX_TRACE_BYTES = 10 * 1024 * 1024;

export { LIFECYCLE_INTERCEPTORS, TRUST_LEVELS, type Trust, VISIBILITY_MODES, type VisibilityMode };
export const VisibilityModeSchema = z.enum(VISIBILITY_MODES);

export const LifecycleInterceptorSchema = z.enum(LIFECYCLE_INTERCEPTORS);

// --- Memory records ----------------------------------------------------------------------------

export const TrustSchema = z.enum(TRUST_LEVELS);

export const RecordTypeSchema = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z][a-z0-9_]*$/, "use lowercase letters, digits and '_'");

/** What a writer supplies; the store derives the id (a content fingerprint) and the times. */
export const MemoryWriteSchema = z.strictObject({
  namespace: z
    .string()
    .min(1)
    .max(80)
    .regex(/^[a-z0-9][a-z0-9._/-]*$/, "use lowercase letters, digits, '.', '_', '/' and '-'"),
  record_type: RecordTypeSchema.default("note"),
  content: z.string().min(1).max(20_000),
  tags: z.array(z.string().min(1).max(40)).max(16).default([]),
  trust: TrustSchema.default("low"),
  /** `project` (every epic), or `epic:<id>` (only that epic's seats see it). */
  scope: z
    .string()
    .regex(/^(project|epic:[a-z0-9][a-z0-9._-]*)$/, "use project or epic:<id>")
    .default("project"),
  /** Seconds until the record expires; absent: never. */
  ttl_seconds: z.number().int().positive().optional(),
});
export type MemoryWrite = z.input<typeof MemoryWriteSchema>;
export type MemoryWriteParsed = z.output<typeof MemoryWriteSchema>;

export interface MemoryRecord {
  record_id: string;
  namespace: string;
  record_type: string;
  content: string;
  tags: string[];
  trust: Trust;
  scope: string;
  created_at: string;
  expires_at: string | null;
  /** The snapshot that introduced the record. */
  snapshot_seq: number;
}

// --- Determinism trace -------------------------------------------------------------------------

export const TraceToolCallSchema = z.object({
  tool_name: z.string(),
  /** `<tool>@<first 12 hex of the tool definition's fingerprint>`: changes when the tool's schema does. */
  tool_profile_version: z.string(),
  normalized_args: z.unknown(),
  normalization_version: z.string(),
  tool_result_fingerprint: z.string().nullable(),
  side_effect_fingerprint: z.string().nullable(),
});
export type TraceToolCall = z.infer<typeof TraceToolCallSchema>;

export const DeterminismEventSchema = z.object({
  event_id: z.string().min(1),
  index: z.number().int().nonnegative(),
  role: z.string(),
  interceptor: LifecycleInterceptorSchema,
  decision_type: z.string().min(1),
  tool_calls: z.array(TraceToolCallSchema),
  guardrails_triggered: z.array(z.string()),
  retrieval_event_ids: z.array(z.string()),
});
export type DeterminismEvent = z.infer<typeof DeterminismEventSchema>;

export const TraceTruncationSchema = z.object({
  original_bytes: z.number().int().nonnegative(),
  kept_events: z.number().int().nonnegative(),
});

export const TraceMetadataSchema = z.object({
  truncated: z.boolean(),
  truncation: TraceTruncationSchema.optional(),
});
export type TraceMetadata = z.infer<typeof TraceMetadataSchema>;

export const DeterminismTraceSchema = z.object({
  determinism_trace_schema_version: z.literal(DETERMINISM_TRACE_VERSION),
  run_id: z.string(),
  workflow_id: z.string(),
  memory_snapshot_id: z.string(),
  visibility_mode: VisibilityModeSchema,
  model_config_id: z.string(),
  policy_set_id: z.string(),
  issue_id: z.string(),
  role_id: z.string(),
  events: z.array(DeterminismEventSchema),
  output: z.object({
    output_type: z.string(),
    output_shape_hash: z.string(),
    normalization_version: z.string(),
  }),
  metadata: TraceMetadataSchema,
  execution_lane: ExecutionLaneSchema.optional(),
  vram_profile: VramProfileSchema.optional(),
});
export type DeterminismTrace = z.infer<typeof DeterminismTraceSchema>;

// --- Retrieval trace ---------------------------------------------------------------------------

export const RetrievalEventSchema = z.object({
  retrieval_event_id: z.string().min(1),
  run_id: z.string(),
  /** The determinism event that consumed this retrieval. */
  event_id: z.string().min(1),
  policy_id: z.string(),
  policy_version: z.string(),
  query_normalization_version: z.string(),
  query_fingerprint: z.string(),
  retrieval_mode: z.string(),
  candidate_count: z.number().int().nonnegative(),
  selected_records: z.array(
    z.object({
      record_id: z.string(),
      record_type: z.string(),
      score: z.number(),
      rank: z.number().int().positive(),
    }),
  ),
  applied_filters: z.object({
    namespace: z.array(z.string()).nullable(),
    tags: z.array(z.string()).nullable(),
    trust: TrustSchema.nullable(),
    scope: z.array(z.string()).nullable(),
    ttl: z.object({ exclude_expired: z.boolean(), as_of: z.string() }),
  }),
});
export type RetrievalEvent = z.infer<typeof RetrievalEventSchema>;

export const RetrievalTraceSchema = z.object({
  retrieval_trace_schema_version: z.literal(RETRIEVAL_TRACE_VERSION),
  run_id: z.string(),
  events: z.array(RetrievalEventSchema),
  metadata: TraceMetadataSchema,
  execution_lane: ExecutionLaneSchema.optional(),
  vram_profile: VramProfileSchema.optional(),
});
export type RetrievalTrace = z.infer<typeof RetrievalTraceSchema>;

// --- Commit buffer -----------------------------------------------------------------------------

export const COMMIT_STATES = ["buffer_open", "commit_pending", "commit_applied", "commit_aborted"] as const;
export type CommitState = (typeof COMMIT_STATES)[number];

export const COMMIT_REASON_CODES = [
  "policy_rejected",
  "validation_failed",
  "storage_apply_failed",
  "payload_mismatch",
] as const;
export type CommitReasonCode = (typeof COMMIT_REASON_CODES)[number];
