import { z } from "zod";

export const ExecutionLaneSchema = z.enum(["ci", "lab"]);
export type ExecutionLane = z.infer<typeof ExecutionLaneSchema>;

export const VramProfileSchema = z.enum(["safe", "balanced", "stress"]);
export type VramProfile = z.infer<typeof VramProfileSchema>;

/** UTC ISO-8601 ending in `Z`. */
export const UtcTimestampSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);

/** Seconds or MiB, rounded to 3 decimals by `core/rounding`. */
export const MeasureSchema = z.number().finite().nonnegative();
