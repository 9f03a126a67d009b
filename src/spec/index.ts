export * from "./common.js";
export * from "./errors.js";
export * from "./events.js";
export type * from "./model.js";
export * from "./orket-error.js";
export * from "./telemetry.js";
