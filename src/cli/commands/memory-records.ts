/**
 * `orket memory add` and `orket memory search`: a person's way into the project memory the seats use.
 * What a person adds is trusted `high` by default and lands as one new snapshot; a search reads exactly
 * as a seat's `memory_search` does (same normalization, filters and ranking).
 */
import type { Command } from "commander";
import { TRUST_LEVELS, type Trust } from "../../spec/memory-modes.js";
import { addProjectFlag, choiceArg, intArg } from "../options.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface AddFlags {
  project: string;
  namespace: string;
  type: string;
  tag?: string[];
  trust: Trust;
  scope: string;
  ttl?: number;
  json?: boolean;
}

interface SearchFlags {
  project: string;
  namespace?: string[];
  tag?: string[];
  minTrust?: Trust;
  scope?: string[];
  limit: number;
  includeExpired?: boolean;
  json?: boolean;
}

export function registerMemoryRecords(memory: Command): void {
  addProjectFlag(
    memory
      .command("add")
      .description("remember something for every later run (a decision, a convention, a note)"),
  )
    .argument("<content>", "what to remember")
    .option("--namespace <name>", "e.g. decisions (injected into prompts), conventions, notes", "decisions")
    .option("--type <record_type>", "decision, convention, note …", "decision")
    .option("--tag <tag>", "a tag (repeatable)", collect)
    .option(
      "--trust <level>",
      `how far it is trusted: ${TRUST_LEVELS.join(", ")}`,
      choiceArg("--trust", TRUST_LEVELS),
      "high",
    )
    .option("--scope <scope>", "project, or epic:<id>", "project")
    .option("--ttl <seconds>", "forget after this many seconds", intArg("--ttl", 1))
    .option("--json", "print the result as JSON")
    .action(async (content: string, flags: AddFlags) => {
      const { withMemory } = await import("./memory-store-access.js");
      await withMemory(flags.project, (store, parse) => {
        const write = parse({
          namespace: flags.namespace,
          record_type: flags.type,
          content,
          tags: flags.tag ?? [],
          trust: flags.trust,
          scope: flags.scope,
          ttl_seconds: flags.ttl,
        });
        const result = store.applyWrites([write], { now: new Date() });
        const out = {
          record_id: result.inserted[0] ?? null,
          stored: result.advanced,
          snapshot: result.snapshot,
        };
        process.stdout.write(
          flags.json
            ? `${JSON.stringify(out, null, 2)}\n`
            : result.advanced
              ? `stored ${out.record_id} (snapshot ${result.snapshot.seq}: ${result.snapshot.snapshot_id})\n`
              : `already remembered (snapshot ${result.snapshot.seq} unchanged)\n`,
        );
      });
    });

  addProjectFlag(
    memory
      .command("search")
      .description("search the project memory as a seat's memory_search does (FTS5, BM25)"),
  )
    .argument("<query>", "words to look for")
    .option("--namespace <name>", "only this namespace (repeatable)", collect)
    .option("--tag <tag>", "records carrying this tag (repeatable: all of them)", collect)
    .option("--min-trust <level>", "at least this trust", choiceArg("--min-trust", TRUST_LEVELS))
    .option("--scope <scope>", "only this scope (repeatable)", collect)
    .option("--limit <n>", "most records", intArg("--limit", 1, 50), 10)
    .option("--include-expired", "also records past their time to live")
    .option("--json", "print the result as JSON")
    .action(async (query: string, flags: SearchFlags) => {
      const { withMemory } = await import("./memory-store-access.js");
      await withMemory(flags.project, (store) => {
        const result = store.search({
          text: query,
          namespaces: flags.namespace,
          tags: flags.tag,
          minTrust: flags.minTrust,
          scopes: flags.scope,
          limit: flags.limit,
          includeExpired: flags.includeExpired,
          asOf: new Date(),
        });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          `${result.hits.length} of ${result.candidate_count} match(es) at snapshot ${result.snapshot.seq}\n`,
        );
        for (const hit of result.hits) {
          const r = hit.record;
          process.stdout.write(
            `${String(hit.rank).padStart(2)}. ${hit.score.toFixed(6)}  [${r.namespace}/${r.record_type}, ${r.trust}${r.tags.length ? `, ${r.tags.join(" ")}` : ""}] ${r.content}\n`,
          );
        }
      });
    });
}
