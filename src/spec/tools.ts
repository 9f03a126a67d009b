/**
 * Tool calls as the runtime sees them, whichever way the model made them: native (the backend's own
 * tool-call field) or written into the text as JSON. Types only.
 */

/** A tool the model may call, described for native tool calling and for the prompt. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export type ToolCallSource = "native" | "fenced" | "bare";

export interface ToolCall {
  /** The backend's id for a native call; `call_<n>` in order of appearance otherwise. */
  id: string;
  name: string;
  args: Record<string, unknown>;
  source: ToolCallSource;
}

/** Something that looked like a tool call and could not be read, with why. */
export interface ToolParseFailure {
  /** At most 200 characters of the text concerned. */
  excerpt: string;
  reason: string;
}

export interface ToolParseResult {
  calls: ToolCall[];
  failures: ToolParseFailure[];
}

export interface ToolResult {
  ok: boolean;
  /** What the model is shown: JSON-serializable. */
  output: unknown;
  error?: { code: string; message: string } | undefined;
}
