/**
 * Row schemas: every row read back from SQLite goes through one of these before the rest of Orket sees
 * it, so a hand-edited or damaged file fails with the table's name instead of a wrong value far away.
 * The mappers turn snake_case column rows into the domain shapes of `spec/cards.ts`.
 */
import { z } from "zod";
import {
  type Actor,
  CardIdSchema,
  type IssueCard,
  type IssueStatus,
  IssueStatusSchema,
  PrioritySchema,
  type WaitReason,
  WaitReasonSchema,
} from "../spec/cards.js";
import { UtcTimestampSchema } from "../spec/common.js";
import { InvalidRowError, NotJsonError } from "./store-errors.js";

export const RUN_STATUSES = ["running", "done", "incomplete", "terminal_failure", "crashed"] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatusSchema>;

const ActorKindSchema = z.enum(["seat", "system", "user"]);

/** A TEXT column holding JSON, parsed and then checked against `schema`. */
function jsonText<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "not valid JSON" });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** Serializes a value for a JSON column; refuses what JSON cannot hold instead of storing "undefined". */
export function toJsonText(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new NotJsonError(what, error);
  }
  if (text === undefined) throw new NotJsonError(what);
  return text;
}

export function parseRow<T extends z.ZodType>(schema: T, table: string, row: unknown): z.output<T> {
  const result = schema.safeParse(row);
  if (!result.success) throw new InvalidRowError(table, z.prettifyError(result.error).replace(/\n/g, "; "));
  return result.data;
}

export function parseRows<T extends z.ZodType>(schema: T, table: string, rows: unknown[]): z.output<T>[] {
  return rows.map((row) => parseRow(schema, table, row));
}

export const BuildRowSchema = z.object({
  build_id: z.string().min(1),
  epic_id: CardIdSchema,
  title: z.string(),
  created_at: UtcTimestampSchema,
  updated_at: UtcTimestampSchema,
});
export type BuildRecord = z.infer<typeof BuildRowSchema>;

export const IssueRowSchema = z.object({
  build_id: z.string().min(1),
  id: CardIdSchema,
  epic_id: CardIdSchema,
  seat: z.string().min(1),
  summary: z.string(),
  requirements: z.string(),
  priority: PrioritySchema,
  depends_on: jsonText(z.array(CardIdSchema)),
  max_retries: z.number().int().nonnegative(),
  required_files: jsonText(z.array(z.string().min(1))),
  status: IssueStatusSchema,
  wait_reason: WaitReasonSchema.nullable(),
  attempts: z.number().int().nonnegative(),
  turns: z.number().int().nonnegative(),
  created_by_kind: ActorKindSchema,
  created_by_name: z.string(),
  created_at: UtcTimestampSchema,
  updated_at: UtcTimestampSchema,
});

/** An issue card as stored, with who created it (the epic sync, or a seat's create_issue call). */
export interface StoredIssueCard extends IssueCard {
  created_by: Actor;
}

export function toIssueCard(row: unknown): StoredIssueCard {
  const { created_by_kind, created_by_name, ...rest } = parseRow(IssueRowSchema, "issues", row);
  return { ...rest, created_by: { kind: created_by_kind, name: created_by_name } };
}

export const CommentRowSchema = z.object({
  comment_id: z.number().int().positive(),
  build_id: z.string().min(1),
  issue_id: CardIdSchema,
  author_kind: ActorKindSchema,
  author_name: z.string(),
  body: z.string(),
  at: UtcTimestampSchema,
});

export interface IssueComment {
  id: number;
  build_id: string;
  issue_id: string;
  author: Actor;
  body: string;
  at: string;
}

export function toComment(row: unknown): IssueComment {
  const r = parseRow(CommentRowSchema, "comments", row);
  const author = { kind: r.author_kind, name: r.author_name };
  return { id: r.comment_id, build_id: r.build_id, issue_id: r.issue_id, author, body: r.body, at: r.at };
}

export const TransactionRowSchema = z.object({
  tx_id: z.number().int().positive(),
  build_id: z.string().min(1),
  issue_id: CardIdSchema,
  actor_kind: ActorKindSchema,
  actor_name: z.string(),
  from_status: IssueStatusSchema,
  to_status: IssueStatusSchema,
  reason: z.string(),
  wait_reason: WaitReasonSchema.nullable(),
  at: UtcTimestampSchema,
  run_id: z.string().nullable(),
});

export function toTransaction(row: unknown): StoredCardTransaction {
  const r = parseRow(TransactionRowSchema, "card_transactions", row);
  return {
    id: r.tx_id,
    issue_id: r.issue_id,
    build_id: r.build_id,
    actor: { kind: r.actor_kind, name: r.actor_name },
    from: r.from_status,
    to: r.to_status,
    reason: r.reason,
    wait_reason: r.wait_reason,
    at: r.at,
    run_id: r.run_id,
  };
}

/** A card transaction as stored: its order within the database and the run that made it, if any. */
export interface StoredCardTransaction {
  id: number;
  issue_id: string;
  build_id: string;
  actor: Actor;
  from: IssueStatus;
  to: IssueStatus;
  reason: string;
  wait_reason: WaitReason | null;
  at: string;
  run_id: string | null;
}

export const RunRowSchema = z.object({
  run_id: z.string().min(1),
  build_id: z.string().min(1),
  epic_id: z.string().min(1),
  model_ref: z.string(),
  workspace: z.string(),
  status: RunStatusSchema,
  started_at: UtcTimestampSchema,
  ended_at: UtcTimestampSchema.nullable(),
  summary: jsonText(z.json()).nullable(),
  pid: z.number().int().positive().nullable(),
  heartbeat_at: UtcTimestampSchema,
});
export type RunRecord = z.infer<typeof RunRowSchema>;

/** A run without its summary: what a list of runs shows. */
export const RunHeadSchema = RunRowSchema.omit({ summary: true });
export type RunHead = z.infer<typeof RunHeadSchema>;

export const LedgerRowSchema = z.object({
  run_id: z.string().min(1),
  seq: z.number().int().positive(),
  issue_id: z.string().nullable(),
  seat: z.string().nullable(),
  role: z.string().nullable(),
  turn: z.number().int().nonnegative().nullable(),
  outcome: z.string().min(1),
  error_code: z.string().nullable(),
  internal_model_seconds: z.number().nonnegative().nullable(),
  total_seconds: z.number().nonnegative().nullable(),
  at: UtcTimestampSchema,
  detail: jsonText(z.json()),
});
export type LedgerEntry = z.infer<typeof LedgerRowSchema>;

export const SnapshotRowSchema = z.object({
  snapshot_id: z.number().int().positive(),
  run_id: z.string().min(1),
  label: z.string(),
  at: UtcTimestampSchema,
  json: jsonText(z.json()),
});

export interface RunSnapshot {
  id: number;
  run_id: string;
  label: string;
  at: string;
  value: unknown;
}

export function toSnapshot(row: unknown): RunSnapshot {
  const r = parseRow(SnapshotRowSchema, "snapshots", row);
  return { id: r.snapshot_id, run_id: r.run_id, label: r.label, at: r.at, value: r.json };
}
