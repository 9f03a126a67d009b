/**
 * The one event stream of a bench, a sweep or a run (docs/events.md): it stamps each event with the
 * run's next `seq` and the time, and hands it to the reporters' hooks. A library function that is given
 * a stream (not a bare reporter) emits into it, so a caller that adds its own events — the CLI's closing
 * `end` event, a sweep's rows — keeps one unbroken sequence.
 */
import {
  EVENT_SCHEMA_VERSION,
  type OrketEvent,
  type OrketEventInput,
  REPORTER_HOOKS,
  type Reporter,
} from "../spec/events.js";

const STREAM = Symbol.for("orket.event-stream");

export class EventStream {
  /** The brand `isInstance` looks for, which works across copies of this module. */
  readonly [STREAM] = true;
  private next = 0;
  private readonly reporters: readonly Reporter[];

  constructor(
    reporters: Reporter | readonly Reporter[] = [],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.reporters = Array.isArray(reporters) ? reporters : [reporters as Reporter];
  }

  /** The `seq` the next event will get: how many events this stream has sent. */
  get seq(): number {
    return this.next;
  }

  emit(input: OrketEventInput): OrketEvent {
    const stamped = { ...input, seq: this.next++, at: this.now().toISOString() } as Record<string, unknown>;
    if (input.type === "run_start") stamped.schema_version = EVENT_SCHEMA_VERSION;
    const event = stamped as OrketEvent;
    const hook = REPORTER_HOOKS[event.type];
    for (const reporter of this.reporters) {
      reporter.onEvent?.(event);
      (reporter[hook] as ((e: OrketEvent) => void) | undefined)?.call(reporter, event);
    }
    return event;
  }

  static isInstance(value: unknown): value is EventStream {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[STREAM] === true;
  }
}

/** Something that takes unstamped events: a stream, or a filter in front of one (a sweep's row). */
export interface EventSink {
  emit(input: OrketEventInput): unknown;
}

/** The stream to emit into: the caller's own, a new one over the caller's reporter, or a silent one. */
export function eventStreamFor(reporter: Reporter | EventSink | undefined): EventSink {
  if (reporter === undefined) return new EventStream();
  if (EventStream.isInstance(reporter)) return reporter;
  if (typeof (reporter as EventSink).emit === "function") return reporter as EventSink;
  return new EventStream(reporter as Reporter);
}

/** "SIGINT", "SIGTERM", or what the caller gave `abort()`; "aborted" when it gave nothing readable. */
export function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (typeof reason === "string") return reason;
  if (reason instanceof Error && reason.name !== "AbortError") return reason.message;
  return "aborted";
}
