import { describe, expect, it } from "vitest";
import { StopMatcher } from "./stop-matcher.js";

describe("StopMatcher", () => {
  it("passes text through when there are no stop strings", () => {
    expect(new StopMatcher([]).push("abc")).toEqual({ text: "abc" });
  });

  it("holds back a possible start of a stop string until the next piece decides it", () => {
    const matcher = new StopMatcher([{ text: "END", reason: "customStopTrigger" }]);
    expect(matcher.push("one E")).toEqual({ text: "one " });
    expect(matcher.push("N")).toEqual({ text: "" });
    expect(matcher.push("Dless")).toEqual({ text: "", stop: "customStopTrigger" });
  });

  it("releases held text when it turns out not to be a stop string, and on flush", () => {
    const matcher = new StopMatcher([{ text: "END", reason: "customStopTrigger" }]);
    expect(matcher.push("EN")).toEqual({ text: "" });
    expect(matcher.push("x E")).toEqual({ text: "ENx " });
    expect(matcher.flush()).toBe("E");
  });

  it("stops at the earliest stop string and reports its kind", () => {
    const matcher = new StopMatcher([
      { text: "<|im_end|>", reason: "stopGenerationTrigger" },
      { text: "\n\n", reason: "customStopTrigger" },
    ]);
    expect(matcher.push("a\n\nb<|im_end|>")).toEqual({ text: "a", stop: "customStopTrigger" });
  });
});
