/**
 * Per-example limits of the evaluator sandbox, with their defaults. Validated once per evaluation, so
 * a bad value fails loudly instead of turning every example into a timeout.
 */
import { z } from "zod";

export interface EvaluatorLimits {
  /** Wall time per example in milliseconds, runtime start-up not included. Default 10 000. */
  wallMs?: number;
  /** Address space per process in MiB (Python: `RLIMIT_AS`; Node: heap limit, plus `prlimit`). Default 512. */
  memoryMb?: number;
  /** stdout + stderr kept per example; past it the process is killed. Default 64 KiB. */
  outputBytes?: number;
}

export type ResolvedLimits = Required<EvaluatorLimits>;

export const DEFAULT_LIMITS: ResolvedLimits = { wallMs: 10_000, memoryMb: 512, outputBytes: 64 * 1024 };

const LimitsSchema = z.strictObject({
  wallMs: z.number().int().min(1).max(3_600_000).optional(),
  memoryMb: z.number().int().min(32).max(1_048_576).optional(),
  outputBytes: z
    .number()
    .int()
    .min(1)
    .max(1024 ** 3)
    .optional(),
});

export function resolveLimits(limits: EvaluatorLimits = {}): ResolvedLimits {
  const parsed = LimitsSchema.parse(limits);
  return {
    wallMs: parsed.wallMs ?? DEFAULT_LIMITS.wallMs,
    memoryMb: parsed.memoryMb ?? DEFAULT_LIMITS.memoryMb,
    outputBytes: parsed.outputBytes ?? DEFAULT_LIMITS.outputBytes,
  };
}
