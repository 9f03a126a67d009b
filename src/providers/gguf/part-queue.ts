/**
 * A single-reader queue of stream parts that bridges a producer running on its own into an async
 * iterable. `push` never blocks, so the engine keeps generating while a slow reader catches up.
 */
import type { ModelCallError } from "../../spec/errors.js";
import type { StreamPart } from "../../spec/model.js";

export class PartQueue implements AsyncIterable<StreamPart> {
  private readonly parts: StreamPart[] = [];
  private failure: ModelCallError | undefined;
  private ended = false;
  private wake: (() => void) | undefined;

  push(part: StreamPart): void {
    this.parts.push(part);
    this.notify();
  }

  fail(error: ModelCallError): void {
    this.failure = error;
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamPart> {
    let index = 0;
    while (true) {
      if (index < this.parts.length) {
        yield this.parts[index++] as StreamPart;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}
