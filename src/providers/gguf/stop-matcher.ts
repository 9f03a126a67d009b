/**
 * Finds stop strings in text that arrives in pieces. Text that could still be the start of a stop string
 * is held back until the next piece decides it, so a stop string never leaks into the output.
 */

export interface StopString {
  text: string;
  /** node-llama-cpp's name for the kind of trigger. */
  reason: "stopGenerationTrigger" | "customStopTrigger";
}

export class StopMatcher {
  private held = "";

  constructor(private readonly stops: readonly StopString[]) {}

  push(text: string): { text: string; stop?: StopString["reason"] } {
    if (this.stops.length === 0) return { text };
    const buffer = this.held + text;
    let first: { index: number; reason: StopString["reason"] } | undefined;
    for (const stop of this.stops) {
      const index = buffer.indexOf(stop.text);
      if (index >= 0 && (!first || index < first.index)) first = { index, reason: stop.reason };
    }
    if (first) {
      this.held = "";
      return { text: buffer.slice(0, first.index), stop: first.reason };
    }
    // The longest tail of the buffer that some stop string starts with; checked from the longest
    // candidate down, comparing first characters before building any substring.
    let keep = 0;
    for (const { text: stop } of this.stops) {
      for (let start = Math.max(0, buffer.length - stop.length + 1); start < buffer.length - keep; start++) {
        if (buffer.charCodeAt(start) === stop.charCodeAt(0) && stop.startsWith(buffer.slice(start))) {
          keep = buffer.length - start;
          break;
        }
      }
    }
    this.held = buffer.slice(buffer.length - keep);
    return { text: buffer.slice(0, buffer.length - keep) };
  }

  flush(): string {
    const rest = this.held;
    this.held = "";
    return rest;
  }
}
