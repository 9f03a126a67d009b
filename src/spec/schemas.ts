/** Every artifact schema, by the file name its JSON Schema is exported under in `schemas/`. */
import type { z } from "zod";
import { TaskBankSchema } from "./bank.js";
import { DeterminismTraceSchema, RetrievalTraceSchema } from "./memory.js";
import { ReportSchema } from "./report.js";
import { CallTelemetrySchema } from "./telemetry.js";

export const ARTIFACT_SCHEMAS: Record<string, z.ZodType> = {
  "call-telemetry.v1.schema.json": CallTelemetrySchema,
  "memory-determinism-trace.v1.schema.json": DeterminismTraceSchema,
  "memory-retrieval-trace.v1.schema.json": RetrievalTraceSchema,
  "report.v1.schema.json": ReportSchema,
  "task-bank.v1.schema.json": TaskBankSchema,
};
