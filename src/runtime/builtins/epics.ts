/** Example epics shipped with Orket; `orket init` copies them into a project to edit. */
import type { Epic } from "../../spec/cards.js";

export const BUILTIN_EPICS: Epic[] = [
  {
    id: "hello-python",
    title: "A greeting function in Python",
    description: "The smallest useful epic: one coder card, reviewed and guarded.",
    team: "standard",
    environment: "default",
    references: [],
    issues: [
      {
        id: "greet",
        seat: "coder",
        summary: "Write greet(name) in greet.py",
        requirements:
          "greet.py defines greet(name: str) -> str returning 'Hello, <name>!'. An empty name returns 'Hello, world!'.",
        priority: "high",
        depends_on: [],
        max_retries: 1,
        required_files: ["greet.py"],
      },
    ],
  },
  {
    id: "word-count-cli",
    title: "A word-count command-line tool",
    description: "Requirements, design, then code: a three-card dependency chain.",
    team: "standard",
    environment: "default",
    references: [],
    issues: [
      {
        id: "requirements",
        seat: "requirements_analyst",
        summary: "Specify a word-count CLI",
        requirements:
          "A Python CLI wc.py that reads text from stdin and prints the number of lines, words and characters, like `wc`. Write requirements.md.",
        priority: "high",
        depends_on: [],
        max_retries: 1,
        required_files: ["requirements.md"],
      },
      {
        id: "design",
        seat: "architect",
        summary: "Design the word-count CLI",
        requirements:
          "From requirements.md, write design.md: functions, their signatures and how main() uses them.",
        priority: "medium",
        depends_on: ["requirements"],
        max_retries: 1,
        required_files: ["design.md"],
      },
      {
        id: "implement",
        seat: "coder",
        summary: "Implement wc.py",
        requirements: "Implement wc.py following design.md and requirements.md. Standard library only.",
        priority: "medium",
        depends_on: ["design"],
        max_retries: 2,
        required_files: ["wc.py"],
      },
    ],
  },
];
