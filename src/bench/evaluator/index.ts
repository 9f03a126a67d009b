/** The evaluator sandbox: runs candidate solutions against a task's evaluation in child processes. */

export { preloadTranspiler } from "./candidate-source.js";
export type { EvaluationResult, EvaluatorErrorCode, ExampleResult } from "./evaluation-result.js";
export { EVALUATOR_ERROR_CODES, EvaluatorError } from "./evaluation-result.js";
export {
  createEvaluator,
  defaultIsolation,
  type Evaluator,
  type EvaluatorOptions,
  evaluate,
} from "./evaluator.js";
export { describeIsolation, type Isolation } from "./isolation.js";
export { DEFAULT_LIMITS, type EvaluatorLimits } from "./limits.js";
