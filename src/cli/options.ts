/** Flag value parsers: each rejects a bad value with a message that names the flag. */
import { type Command, InvalidArgumentError } from "commander";

export function intArg(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${flag} takes a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}, not "${value}"`,
      );
    }
    return n;
  };
}

export function floatArg(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} takes a number from ${min} to ${max}, not "${value}"`);
    }
    return n;
  };
}

export function choiceArg<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${flag} takes one of ${choices.join(", ")}, not "${value}"`);
    }
    return value as T;
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--lane` and `--vram-profile`, the same on every command that measures. */
export function addLaneFlags(command: Command): Command {
  return command
    .option(
      "--lane <lane>",
      "execution lane: ci, or lab (the lab's thermal and VRAM guards decide)",
      choiceArg("--lane", ["ci", "lab"] as const),
      "ci",
    )
    .option(
      "--vram-profile <profile>",
      "VRAM profile: the share of VRAM a run may use (safe 0.50, balanced 0.80, stress 0.95)",
      choiceArg("--vram-profile", ["safe", "balanced", "stress"] as const),
      "safe",
    );
}
