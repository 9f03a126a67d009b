/**
 * The plain value lists of the memory contract, without zod, so the CLI can offer them as flag choices
 * without loading the schema library at start-up. `memory.ts` builds its schemas from these.
 */
export const VISIBILITY_MODES = ["off", "read_only", "buffered_write", "live_read_write"] as const;
export type VisibilityMode = (typeof VISIBILITY_MODES)[number];

/** How far a record is trusted: `high` was written by a person, `medium` by a checked seat, `low` unchecked. */
export const TRUST_LEVELS = ["low", "medium", "high"] as const;
export type Trust = (typeof TRUST_LEVELS)[number];

export const LIFECYCLE_INTERCEPTORS = [
  "before_prompt",
  "after_model",
  "before_tool",
  "after_tool",
  "on_turn_failure",
] as const;
