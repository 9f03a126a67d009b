/**
 * The run's JSONL event log: one versioned event a line, appended as things happen, so a crashed run
 * still leaves everything up to its last event. Readers ignore unknown fields and unknown types.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

export const EVENT_VERSION = 1;

export interface RunEvent {
  v: typeof EVENT_VERSION;
  seq: number;
  at: string;
  run_id: string;
  type: string;
  [field: string]: unknown;
}

export class EventLog {
  private seq = 0;

  constructor(
    readonly path: string,
    private readonly runId: string,
    private readonly now: () => Date = () => new Date(),
    /** Told of every event after it is written (the live view). */
    private readonly listener?: (event: RunEvent) => void,
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  /** Appends one event synchronously: a kill -9 right after loses nothing that was logged. */
  emit(type: string, data: Record<string, unknown> = {}): RunEvent {
    const event: RunEvent = {
      v: EVENT_VERSION,
      seq: this.seq++,
      at: this.now().toISOString(),
      run_id: this.runId,
      type,
      ...data,
    };
    appendFileSync(this.path, `${JSON.stringify(event)}\n`);
    this.listener?.(event);
    return event;
  }
}
