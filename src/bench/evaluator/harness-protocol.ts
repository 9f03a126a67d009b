/**
 * The messages the sandbox's processes write on fd 3, one JSON object per line, validated like any
 * boundary. A candidate can write to fd 3 too, so none of them is a verdict: a line that does not parse
 * is ignored, and a well-formed one can say no more than what the candidate's function returned.
 */
import { z } from "zod";
import { isPacked, type Packed } from "./values.js";

const Id = z.number().int().nonnegative();
const PackedValue = z.custom<Packed>((value) => isPacked(value), "not a packed value");

const ScopeEntrySchema = z.discriminatedUnion("kind", [
  z.object({ name: z.string().min(1).max(200), kind: z.literal("callable") }),
  z.object({
    name: z.string().min(1).max(200),
    kind: z.literal("module"),
    module: z.string().min(1).max(200),
  }),
  z.object({ name: z.string().min(1).max(200), kind: z.literal("value"), value: PackedValue }),
]);
export type ScopeEntry = z.infer<typeof ScopeEntrySchema>;

/** What a call came back as: a value, an error (with a builtin exception's name where it was one), a timeout. */
export const CallResultSchema = z.object({
  event: z.literal("result"),
  id: Id,
  value: PackedValue.optional(),
  error: z.string().max(4096).optional(),
  exception: z.string().max(100).nullable().optional(),
  timed_out: z.literal(true).optional(),
});
export type CallResult = z.infer<typeof CallResultSchema>;

/** Messages of the server, the process that holds the candidate's code. */
export const ServerMessageSchema = z.discriminatedUnion("event", [
  /** The runtime is up and limited; the candidate's time starts now. */
  z.object({ event: z.literal("ready") }),
  /** The solution could not be imported: every remaining example fails with this error. */
  z.object({ event: z.literal("load_error"), error: z.string().max(4096) }),
  /** The solution is loaded; its module scope, for a checker to stand in for. */
  z.object({ event: z.literal("loaded"), globals: z.array(ScopeEntrySchema).max(10_000) }),
  CallResultSchema,
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

/** Messages of the checker, the process that runs a bank's test program without the candidate's code. */
export const CheckerMessageSchema = z.discriminatedUnion("event", [
  z.object({ event: z.literal("ready") }),
  z.object({
    event: z.literal("call"),
    id: Id,
    name: z.string().min(1).max(200),
    args: z.array(PackedValue),
  }),
]);
export type CheckerMessage = z.infer<typeof CheckerMessageSchema>;

function parseWith<T>(schema: z.ZodType<T>, line: string): T | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

export const parseServerMessage = (line: string): ServerMessage | null =>
  parseWith(ServerMessageSchema, line);
export const parseCheckerMessage = (line: string): CheckerMessage | null =>
  parseWith(CheckerMessageSchema, line);

/** `ready` is all a cli program's runner says. */
export function isReady(line: string): boolean {
  return parseWith(z.object({ event: z.literal("ready") }), line) !== null;
}
