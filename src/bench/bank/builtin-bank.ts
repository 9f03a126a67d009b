/**
 * The built-in task bank, `orket-builtin`: tasks written for Orket in Python, TypeScript and JavaScript,
 * tier 1 (one function of logic) to tier 4 (small command-line programs). Each task states its signature,
 * carries regex and AST constraints, at least three examples with edge cases, and a reference solution
 * that `orket bank selftest` proves against the evaluator.
 */
import { TASK_BANK_SCHEMA_VERSION, type TaskBank } from "../../spec/bank.js";
import { TIER1_PYTHON } from "./builtin/tier1-python.js";
import { TIER1_TYPESCRIPT } from "./builtin/tier1-typescript.js";
import { TIER2_PYTHON } from "./builtin/tier2-python.js";
import { TIER2_TYPESCRIPT } from "./builtin/tier2-typescript.js";
import { TIER3_PYTHON } from "./builtin/tier3-python.js";
import { TIER3_TYPESCRIPT } from "./builtin/tier3-typescript.js";
import { TIER4_PYTHON } from "./builtin/tier4-python.js";
import { TIER4_TYPESCRIPT } from "./builtin/tier4-typescript.js";

export const BUILTIN_BANK_NAME = "orket-builtin";

/** Ordered by tier, then language, so `--tasks 1-10` picks the easiest tasks. */
export const BUILTIN_BANK: TaskBank = {
  schema_version: TASK_BANK_SCHEMA_VERSION,
  name: BUILTIN_BANK_NAME,
  version: "1",
  description:
    "Coding tasks written for Orket: one-function logic, data transforms, small algorithms and command-line programs, in Python, TypeScript and JavaScript.",
  tasks: [
    ...TIER1_PYTHON,
    ...TIER1_TYPESCRIPT,
    ...TIER2_PYTHON,
    ...TIER2_TYPESCRIPT,
    ...TIER3_PYTHON,
    ...TIER3_TYPESCRIPT,
    ...TIER4_PYTHON,
    ...TIER4_TYPESCRIPT,
  ],
};
