/**
 * Cards: a rock groups epics; an epic holds issues and names a team and an environment; an issue is the
 * unit that executes. Schemas validate config files and rows read back from SQLite alike.
 */
import { z } from "zod";

export const ISSUE_STATUSES = [
  "ready",
  "in_progress",
  "code_review",
  "awaiting_guard_review",
  "done",
  "blocked",
  "waiting_for_developer",
  "guard_approved",
  "guard_rejected",
  "guard_requested_changes",
  "canceled",
  "archived",
] as const;
export const IssueStatusSchema = z.enum(ISSUE_STATUSES);
export type IssueStatus = z.infer<typeof IssueStatusSchema>;

export const WAIT_REASONS = ["resource", "dependency", "review", "input", "system"] as const;
export const WaitReasonSchema = z.enum(WAIT_REASONS);
export type WaitReason = z.infer<typeof WaitReasonSchema>;

export const PRIORITIES = ["critical", "high", "medium", "low"] as const;
export const PrioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof PrioritySchema>;

/** Ids are stable slugs: running the same epic twice finds the same cards. */
export const CardIdSchema = z
  .string()
  .min(1)
  .max(80)
  .regex(
    /^[a-z0-9][a-z0-9._-]*$/,
    "use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit",
  );

/** An issue as an epic file declares it. */
export const IssueSpecSchema = z.strictObject({
  id: CardIdSchema,
  seat: z.string().min(1),
  summary: z.string().min(1),
  requirements: z.string().default(""),
  priority: PrioritySchema.default("medium"),
  depends_on: z.array(CardIdSchema).default([]),
  max_retries: z.number().int().min(0).max(10).default(1),
  /** Files the turn contract requires this issue's implementer to write (workspace-relative). */
  required_files: z.array(z.string().min(1)).default([]),
});
export type IssueSpec = z.infer<typeof IssueSpecSchema>;

/** An issue as the store holds it while it executes. */
export interface IssueCard extends IssueSpec {
  epic_id: string;
  build_id: string;
  status: IssueStatus;
  wait_reason: WaitReason | null;
  /** Failed attempts so far. */
  attempts: number;
  /** Turns taken so far, across seats. */
  turns: number;
  created_at: string;
  updated_at: string;
}

export const EpicSchema = z.strictObject({
  id: CardIdSchema,
  title: z.string().min(1),
  description: z.string().default(""),
  team: z.string().min(1).default("standard"),
  environment: z.string().min(1).default("default"),
  /** Files (project-relative) the agents may read but never write. */
  references: z.array(z.string().min(1)).default([]),
  issues: z.array(IssueSpecSchema).min(1),
});
export type Epic = z.infer<typeof EpicSchema>;

export const RockSchema = z.strictObject({
  id: CardIdSchema,
  title: z.string().min(1),
  epics: z.array(CardIdSchema).min(1),
});
export type Rock = z.infer<typeof RockSchema>;

/** Who changed a status: a seat working a turn, the orchestrator, or a person at the CLI. */
export interface Actor {
  kind: "seat" | "system" | "user";
  /** The seat's role (coder, integrity_guard, ...) when kind is seat; else a name. */
  name: string;
}

export interface CardTransaction {
  issue_id: string;
  build_id: string;
  actor: Actor;
  from: IssueStatus;
  to: IssueStatus;
  reason: string;
  wait_reason: WaitReason | null;
  at: string;
}
