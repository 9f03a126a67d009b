/** The scripted answers that take the example epic `hello-python` (one `greet` card) to done, seat by seat. */
import { answer, call } from "./script-cassette.js";

export const GREET = "def greet(name: str) -> str:\n    return f\"Hello, {name or 'world'}!\"\n";
export const coderDone = answer(
  call("write_file", { path: "greet.py", content: GREET }),
  call("update_issue_status", { status: "code_review" }),
);
export const reviewerPass = answer(
  call("add_issue_comment", { body: "ok" }),
  call("update_issue_status", { status: "awaiting_guard_review" }),
);
export const guardDone = answer(call("update_issue_status", { status: "done" }));
