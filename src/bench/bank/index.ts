/** Task banks: loading and validation, `--tasks` selection, the built-in bank, HumanEval import, self-test. */
export {
  BankError,
  type BankProblem,
  formatProblem,
  HumanEvalImportError,
  TaskSelectionError,
} from "./bank-error.js";
export {
  type BankCheck,
  BUILTIN_BANK_REF,
  checkBank,
  checkBankText,
  loadBank,
  validateBank,
} from "./bank-loader.js";
export { type HumanEvalImportOptions, importHumanEval } from "./humaneval-import.js";
export { selectTasks } from "./select-tasks.js";
export {
  type BankSelftest,
  type EvaluateFn,
  type SelftestEvaluation,
  type SelftestOptions,
  selftestBank,
  type TaskSelftest,
} from "./selftest.js";
