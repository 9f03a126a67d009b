/**
 * The one interrupt handler of every command. The first Ctrl-C (SIGINT) or SIGTERM (a service manager,
 * `kill`, a CI timeout) aborts the command's signal with the signal's name as the reason, so the
 * command stops as it was designed to: a bench writes its partial report, a sweep its summary, a run
 * starts no new turn. The handler is then removed, so a second signal ends Orket at once, the default
 * way (exit 130 for SIGINT).
 */

export interface Interrupt {
  readonly signal: AbortSignal;
  /** Removes the handler; call it when the command is done (idempotent). */
  dispose(): void;
}

export function listenForInterrupt(
  /** What happens now, said on stderr on the first signal ("writing the partial report"); none: silent. */
  whatHappens?: string,
  stderr: (text: string) => void = (text) => process.stderr.write(text),
): Interrupt {
  const controller = new AbortController();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const onSignal = (name: NodeJS.Signals) => {
    dispose();
    if (whatHappens) stderr(`\norket: interrupted (${name}); ${whatHappens}\n`);
    controller.abort(name);
  };
  const dispose = () => {
    for (const name of signals) process.off(name, onSignal);
  };
  for (const name of signals) process.on(name, onSignal);
  return { signal: controller.signal, dispose };
}

/**
 * For a command that runs until it is told to stop (`orket serve`, `orket worker`): waits for SIGINT or
 * SIGTERM, says `saying` on stderr and runs `stop`; a second signal quits at once (exit 130 or 143).
 * The listeners stay on until the process ends: a library that watches signals (signal-exit) re-raises
 * one it finds nobody else listening to, which would kill the process mid-shutdown.
 */
export function untilSignalled(saying: string, stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`orket: ${signal} again: quitting now\n`);
        process.exit(signal === "SIGINT" ? 130 : 143);
      }
      stopping = true;
      process.stderr.write(`orket: ${signal}: ${saying}\n`);
      stop().then(resolve, resolve);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
