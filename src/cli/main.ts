#!/usr/bin/env node
/** The `orket` binary: runs the command tree of program.ts on this process's argv and exits with its code. */
import { runCli } from "./program.js";

/**
 * A reader that stops early (`orket board | head -2`) closes the pipe: that is not an error, so the
 * command ends quietly, as `cat` would, instead of printing an EPIPE stack.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

quietOnClosedPipe(process.stdout);
process.exitCode = await runCli(process.argv.slice(2));
