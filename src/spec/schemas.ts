/** Every artifact schema, by the file name its JSON Schema is exported under in `schemas/`. */
import type { z } from "zod";
import { TaskBankSchema } from "./bank.js";
import { ComparisonSchema } from "./comparison.js";
import { ConcurrencySweepSchema } from "./concurrency.js";
import { OrketEventSchema } from "./events.js";
import { CheckArtifactSchema, PreferencesSchema, SweepSummarySchema } from "./lab.js";
import { DeterminismTraceSchema, RetrievalTraceSchema } from "./memory.js";
import { ReportSchema } from "./report.js";
import { GuardDecisionSchema, SidecarSummarySchema } from "./sidecar.js";
import { CallTelemetrySchema } from "./telemetry.js";

export const ARTIFACT_SCHEMAS: Record<string, z.ZodType> = {
  "call-telemetry.v1.schema.json": CallTelemetrySchema,
  "memory-determinism-trace.v1.schema.json": DeterminismTraceSchema,
  "memory-retrieval-trace.v1.schema.json": RetrievalTraceSchema,
  "report.v1.schema.json": ReportSchema,
  "sidecar-parse.v1.schema.json": SidecarSummarySchema,
  "guard-decision.v1.schema.json": GuardDecisionSchema,
  "sweep.v1.schema.json": SweepSummarySchema,
  "check.v1.schema.json": CheckArtifactSchema,
  "preferences.v1.schema.json": PreferencesSchema,
  "task-bank.v1.schema.json": TaskBankSchema,
  "orket-event.v1.schema.json": OrketEventSchema,
  "comparison.v1.schema.json": ComparisonSchema,
  "concurrency-sweep.v1.schema.json": ConcurrencySweepSchema,
};
