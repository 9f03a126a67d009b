/**
 * The messages a harness writes on fd 3, one JSON object per line. Validated like any boundary: a line
 * that does not parse (the candidate can write to fd 3 too) is ignored rather than trusted.
 */
import { z } from "zod";

const Index = z.number().int().nonnegative();

export const HarnessMessageSchema = z.discriminatedUnion("event", [
  /** The runtime is up and limited; the candidate's time starts now. */
  z.object({ event: z.literal("ready") }),
  /** The solution could not be imported: every remaining example fails with this error. */
  z.object({ event: z.literal("load_error"), error: z.string() }),
  z.object({ event: z.literal("start"), index: Index }),
  z.object({
    event: z.literal("result"),
    index: Index,
    passed: z.boolean(),
    /** The returned value as JSON (or its repr), cut to a few hundred characters. */
    got: z.string().optional(),
    error: z.string().optional(),
    timed_out: z.boolean().optional(),
  }),
]);
export type HarnessMessage = z.infer<typeof HarnessMessageSchema>;

export function parseHarnessMessage(line: string): HarnessMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = HarnessMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
