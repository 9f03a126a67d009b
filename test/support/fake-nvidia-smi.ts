/**
 * A fake `nvidia-smi` for the sidecar's tests and benchmark: a POSIX sh script (cheap to start, no
 * shell involved on our side) that prints a fixture, and can act as an old driver that rejects
 * `clocks_event_reasons`, fail from the Nth call on, be slow, and report overlapping calls.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";

const SCRIPT = `#!/bin/sh
n=0
if [ -n "$FAKE_SMI_COUNTER" ]; then
  n=$(cat "$FAKE_SMI_COUNTER" 2>/dev/null || echo 0)
  n=$((n + 1))
  echo "$n" > "$FAKE_SMI_COUNTER"
fi
if [ -n "$FAKE_SMI_LOCK" ]; then
  if ! mkdir "$FAKE_SMI_LOCK" 2>/dev/null; then echo overlap >> "$FAKE_SMI_LOCK.overlaps"; fi
fi
if [ -n "$FAKE_SMI_LOG" ]; then printf '%s\\n' "$*" >> "$FAKE_SMI_LOG"; fi
if [ -n "$FAKE_SMI_DELAY_S" ]; then sleep "$FAKE_SMI_DELAY_S"; fi
status=0
case "$*" in
  *clocks_event_reasons*)
    if [ "$FAKE_SMI_OLD_DRIVER" = 1 ]; then
      printf 'Field "clocks_event_reasons.active" is not a valid field to query.\\n\\n'
      status=2
    fi ;;
esac
if [ "$status" = 0 ] && [ -n "$FAKE_SMI_FAIL_AFTER" ] && [ "$n" -gt "$FAKE_SMI_FAIL_AFTER" ]; then
  printf "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\\n\\n"
  status=9
fi
if [ "$status" = 0 ]; then cat "$FAKE_SMI_OUTPUT"; fi
if [ -n "$FAKE_SMI_LOCK" ]; then rmdir "$FAKE_SMI_LOCK" 2>/dev/null; fi
exit $status
`;

export interface FakeSmiOptions {
  /** File whose content each successful call prints. */
  output: string;
  /** Reject `clocks_event_reasons.active` the way drivers before 535 do. */
  oldDriver?: boolean;
  /** Calls after this many fail as if the driver went away (exit 9). */
  failAfter?: number;
  /** Seconds each call takes (to make ticks find a poll still running). */
  delaySeconds?: number;
}

export interface FakeSmi {
  /** The directory holding `nvidia-smi`, to put first on PATH. */
  binDir: string;
  /** Call count, one line per call's arguments, and overlap reports. */
  counterPath: string;
  logPath: string;
  overlapsPath: string;
  env(options: FakeSmiOptions, base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

/** Writes the fake into `<dir>/bin/nvidia-smi`. */
export function installFakeNvidiaSmi(dir: string): FakeSmi {
  const binDir = join(dir, "bin");
  mkdirSync(binDir, { recursive: true });
  const tool = join(binDir, "nvidia-smi");
  writeFileSync(tool, SCRIPT);
  chmodSync(tool, 0o755);
  const lockPath = join(dir, "smi.lock");
  const fake: FakeSmi = {
    binDir,
    counterPath: join(dir, "smi.count"),
    logPath: join(dir, "smi.log"),
    overlapsPath: `${lockPath}.overlaps`,
    env(options, base = process.env) {
      const env: NodeJS.ProcessEnv = {
        ...base,
        PATH: `${binDir}${delimiter}${base.PATH ?? ""}`,
        FAKE_SMI_OUTPUT: options.output,
        FAKE_SMI_COUNTER: fake.counterPath,
        FAKE_SMI_LOG: fake.logPath,
        FAKE_SMI_LOCK: lockPath,
      };
      if (options.oldDriver) env.FAKE_SMI_OLD_DRIVER = "1";
      if (options.failAfter !== undefined) env.FAKE_SMI_FAIL_AFTER = String(options.failAfter);
      if (options.delaySeconds !== undefined) env.FAKE_SMI_DELAY_S = String(options.delaySeconds);
      return env;
    },
  };
  return fake;
}
