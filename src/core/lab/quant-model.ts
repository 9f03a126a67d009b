/**
 * A sweep's models by quantization: explicit `quant=ref` pairs, or one family's tags put into a name
 * template. The CLI parses the flags (src/cli/sweep-args.ts); the lab builds the model list from these.
 */
import { type ExitClass, OrketError } from "../../spec/orket-error.js";

/** A sweep argument that cannot be used; the message names the flag. Exit 2. */
export class SweepArgumentError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { BAD_USAGE: "usage" };
  override readonly code = "BAD_USAGE";
}

export interface QuantModel {
  quant: string;
  ref: string;
}

/** `{family}-instruct-{quant}` with the values put in; a template without `{quant}` is refused. */
export function applyTagTemplate(template: string, family: string, quant: string): string {
  if (!template.includes("{quant}"))
    throw new SweepArgumentError(`--tag-template "${template}" has no {quant} placeholder`);
  return template.replaceAll("{family}", family).replaceAll("{quant}", quant);
}
