/**
 * `--tasks`: which tasks of a bank a run attempts. A comma-separated list of items, each one of
 * - a 1-based position (`12`) or an inclusive range of positions (`1-10`);
 * - a task id (`py/clamp`), or an id pattern where `*` matches any text (`py/*`: every Python task);
 * - `all` (or `*`) for every task.
 * An item made only of digits (and one dash) is a position, never an id. The selected tasks come back
 * once each, in bank order, so a report lists them the same way whatever order the items were given in.
 */
import type { Task, TaskBank } from "../../spec/bank.js";
import { TaskSelectionError } from "./bank-error.js";

export function selectTasks(bank: TaskBank, spec: string): Task[] {
  const count = bank.tasks.length;
  if (spec.trim() === "") throw new TaskSelectionError(spec, "empty; give positions (1-10,12) or task ids");
  const items = spec.split(",").map((item) => item.trim());
  const chosen = new Set<number>();
  const position = (text: string): number => {
    const n = Number(text);
    if (n < 1 || n > count) {
      throw new TaskSelectionError(spec, `position ${text} is out of range: the bank has tasks 1-${count}`);
    }
    return n - 1;
  };
  for (const item of items) {
    if (item === "") throw new TaskSelectionError(spec, "empty item between commas");
    if (item === "all" || item === "*") {
      for (let i = 0; i < count; i++) chosen.add(i);
      continue;
    }
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(item);
    if (range) {
      const start = position(range[1] as string);
      const end = position(range[2] as string);
      if (start > end) throw new TaskSelectionError(spec, `range ${item} runs backwards`);
      for (let i = start; i <= end; i++) chosen.add(i);
    } else if (/^\d+$/.test(item)) {
      chosen.add(position(item));
    } else if (/^[-\d\s]+$/.test(item)) {
      throw new TaskSelectionError(
        spec,
        `"${item}" is neither a position, a range such as 1-10, nor a task id`,
      );
    } else if (item.includes("*")) {
      const pattern = new RegExp(`^${item.split("*").map(escapeRegExp).join(".*")}$`);
      let matched = false;
      bank.tasks.forEach((task, i) => {
        if (pattern.test(task.id)) {
          chosen.add(i);
          matched = true;
        }
      });
      if (!matched) throw new TaskSelectionError(spec, `no task id matches "${item}"`);
    } else {
      const index = bank.tasks.findIndex((task) => task.id === item);
      if (index === -1) {
        throw new TaskSelectionError(
          spec,
          `no task "${item}" in bank ${bank.name}${suggest(bank, item)}; positions run 1-${count}`,
        );
      }
      chosen.add(index);
    }
  }
  return [...chosen].sort((a, b) => a - b).map((i) => bank.tasks[i] as Task);
}

/** The ids that share the item's last path segment, as a hint for a mistyped prefix. */
function suggest(bank: TaskBank, item: string): string {
  const tail = item.split("/").pop() ?? item;
  const close = bank.tasks.map((task) => task.id).filter((id) => id.endsWith(`/${tail}`) || id === tail);
  return close.length > 0 ? ` (did you mean ${close.slice(0, 3).join(", ")}?)` : "";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
