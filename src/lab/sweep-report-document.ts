/**
 * The document a sweep report draws, independent of format: sections of key/value pairs, tables and
 * text, with every unknown as "—" and its null reason as a numbered footnote (one note per distinct
 * reason). The markdown and HTML renderers only lay it out and escape it.
 */

import { formatBytes } from "../core/lab/frontier.js";
import type { SweepRow, SweepSummary } from "../spec/lab.js";
import { formatKld, withKld } from "./sweep-text.js";

/** One table cell: its text and, for an unknown, the number of the footnote saying why. */
export interface Cell {
  text: string;
  note?: number;
}

export interface Section {
  id: string;
  title: string;
  pairs?: Array<[string, Cell]>;
  table?: { head: string[]; rows: Cell[][] };
  text?: string;
}

/** The document both renderers draw: title, sections and footnotes (number i is `notes[i - 1]`). */
export interface SweepDocument {
  title: string;
  subtitle: string;
  /** The footnote of the subtitle (why the commit is unknown), if any. */
  subtitleNote?: number;
  sections: Section[];
  notes: string[];
}

const DASH = "—";

class Notes {
  readonly list: string[] = [];
  /** A footnote number for this reason; the same reason gets the same number. */
  ref(reason: string): number {
    const found = this.list.indexOf(reason);
    if (found >= 0) return found + 1;
    this.list.push(reason);
    return this.list.length;
  }
}

/** The report's content, in document order; footnotes are numbered as they first appear. */
export function buildDocument(summary: SweepSummary): SweepDocument {
  const notes = new Notes();
  const known = <T>(value: T | null | undefined, format: (v: T) => string, reason: string): Cell =>
    value === null || value === undefined ? { text: DASH, note: notes.ref(reason) } : { text: format(value) };
  const rootReason = (field: string, fallback: string) => summary.null_reasons[field] ?? fallback;
  const plain = (text: string): Cell => ({ text });
  const hw = summary.hardware_fingerprint;
  const s = summary.settings;
  const c = summary.canary;
  const f = summary.efficiency_frontier;
  const k = summary.stability_kpis;
  const context = summary.kind === "context";
  // The subtitle comes first in the document, so its note takes the first number.
  const commitNote = summary.commit_sha === null ? notes.ref(rootReason("commit_sha", "unknown")) : undefined;

  const sections: Section[] = [
    {
      id: "hardware",
      title: "Hardware",
      pairs: [
        ["fingerprint", plain(hw.fingerprint)],
        ["platform", plain(`${hw.platform} ${hw.arch}`)],
        ["CPU", plain(`${hw.cpu_model} (${hw.core_count} cores)`)],
        ["memory", plain(`${hw.total_memory_mib} MiB`)],
        ["GPU backend", plain(hw.gpu_backend)],
        ["GPU", known(hw.gpu_name, String, rootReason("gpu_name", gpuReason(hw.gpu_backend)))],
        [
          "GPU VRAM",
          known(
            hw.gpu_vram_total_mb,
            (v) => `${v} MiB`,
            rootReason("gpu_vram_total_mb", gpuReason(hw.gpu_backend)),
          ),
        ],
        ["GPU driver", known(hw.gpu_driver, String, rootReason("gpu_driver", gpuReason(hw.gpu_backend)))],
      ],
    },
    {
      id: "settings",
      title: "Settings",
      pairs: [
        ["bank", plain(s.bank)],
        ["tasks", plain(s.tasks ?? "all")],
        ["runs per task", plain(String(s.runs_per_task))],
        ["seed", plain(String(s.seed))],
        ["temperature", plain(String(s.temperature))],
        ["adherence threshold", plain(ratio(s.adherence_threshold))],
        ["latency ceiling", plain(s.latency_ceiling === null ? "none" : secs(s.latency_ceiling))],
        ["include invalid", plain(s.include_invalid ? "yes (frontier view only)" : "no")],
      ],
    },
    {
      id: "canary",
      title: "Canary",
      pairs: [
        ["decision", plain(c.decision)],
        ["reason", plain(c.reason)],
        ["model", known(c.model_ref, String, "the canary ran no model")],
        ["runs", plain(String(c.runs))],
        [
          "adherence spread",
          known(
            c.adherence_spread,
            (v) => `${v.toFixed(3)} (limit ${c.thresholds.adherence_spread})`,
            "no repeated task to compare",
          ),
        ],
        [
          "model time CV",
          known(
            c.model_time_cv,
            (v) => `${v.toFixed(3)} (limit ${c.thresholds.model_time_cv})`,
            "no repeated model time to compare",
          ),
        ],
      ],
    },
    {
      id: "rows",
      title: context ? "Context sizes" : "Quantizations",
      table: {
        head: [
          context ? "context" : "quant",
          "model",
          "size",
          "adherence",
          "pass rate",
          ...(summary.kld ? ["KLD mean", "KLD p99", "same top token"] : []),
          "median total",
          "median first token",
          "decode tok/s",
          "peak RSS",
          "status",
          "valid/test runs",
        ],
        rows: summary.rows.map((row) => {
          const why = (field: string) => row.null_reasons[field] ?? "unknown";
          return [
            plain(context && typeof row.context_size === "number" ? String(row.context_size) : row.quant_tag),
            plain(row.model_ref),
            known(row.model_size_bytes, formatBytes, why("model_size_bytes")),
            known(row.adherence_score, ratio, why("adherence_score")),
            known(row.pass_rate, ratio, why("pass_rate")),
            ...(summary.kld
              ? [
                  known(row.kld?.mean_kld ?? null, formatKld, why("kld")),
                  known(row.kld?.p99_kld ?? null, formatKld, why("kld")),
                  known(row.kld?.same_top_percent ?? null, (v) => `${v.toFixed(2)} %`, why("kld")),
                ]
              : []),
            known(row.total_latency, secs, why("total_latency")),
            known(row.init_latency, secs, why("init_latency")),
            known(row.generation_tokens_per_second, (v) => v.toFixed(1), why("generation_tokens_per_second")),
            known(row.peak_memory_rss, (v) => `${v.toFixed(1)} MiB`, why("peak_memory_rss")),
            plain(status(row)),
            plain(`${row.valid_runs}/${row.test_runs}`),
          ];
        }),
      },
    },
    {
      id: "frontier",
      title: "Efficiency frontier",
      pairs: [
        ["minimum viable", plain(f.minimum_viable_quant ?? "none")],
        ["best value", plain(f.best_value_quant ?? "none")],
        ["adherence threshold", plain(ratio(f.adherence_threshold))],
        ["latency ceiling", plain(f.latency_ceiling === null ? "none" : secs(f.latency_ceiling))],
        [
          "Pareto front",
          plain(f.pareto.length ? f.pareto.map((tag) => withKld(tag, summary)).join(", ") : "none"),
        ],
        ["reason", plain(f.reason)],
      ],
    },
    { id: "recommendation", title: "Recommendation", text: summary.recommendation },
    {
      id: "kpis",
      title: "Stability KPIs",
      pairs: (
        [
          ["determinism rate", "determinism_rate", "no row had a task with 2 or more valid runs"],
          ["missing telemetry rate", "missing_telemetry_rate", "no run was made"],
          ["polluted run rate", "polluted_run_rate", "no run was made"],
          ["frontier success rate", "frontier_success_rate", "no valid row"],
        ] as const
      ).map(([label, field, fallback]): [string, Cell] => [
        label,
        known(
          k[field],
          ratio,
          summary.null_reasons[`stability_kpis.${field}`] ?? rootReason(field, fallback),
        ),
      ]),
    },
  ];
  const ceiling = summary.safe_context_ceiling;
  if (ceiling) {
    sections.push({
      id: "context-ceiling",
      title: "Safe context ceiling",
      pairs: [
        ["context size", known(ceiling.context_size, (v) => `${v} tokens`, ceiling.reason)],
        ["adherence floor", plain(ratio(ceiling.adherence_floor))],
        [
          "first-token ceiling",
          plain(ceiling.first_token_ceiling === null ? "none" : secs(ceiling.first_token_ceiling)),
        ],
        ["decode floor", plain(ceiling.decode_floor === null ? "none" : `${ceiling.decode_floor} tok/s`)],
        ["reason", plain(ceiling.reason)],
      ],
    });
  }
  sections.push({
    id: "guards",
    title: "Guard decisions",
    ...(summary.rows.some((r) => r.guards.length)
      ? {
          table: {
            head: [context ? "context" : "quant", "guard", "check", "decision", "reason", "measured"],
            rows: summary.rows.flatMap((row) =>
              row.guards.map((g) =>
                [row.quant_tag, g.guard, g.check, g.decision, g.reason, measured(g.measured)].map(plain),
              ),
            ),
          },
        }
      : {
          text: `No guard decision recorded (lane ${summary.execution_lane}, GPU backend ${hw.gpu_backend}).`,
        }),
  });
  sections.push({
    id: "timing",
    title: "Timing",
    pairs: [
      ["sweep", plain(secs(summary.timing.total_seconds))],
      ["inside benchmarks", plain(secs(summary.timing.benchmark_seconds))],
    ],
  });

  return {
    title: `Orket ${summary.kind} sweep: ${summary.model_family}`,
    subtitle: `generated ${summary.generated_at} · lane ${summary.execution_lane} · profile ${summary.vram_profile} · commit ${summary.commit_sha ?? DASH}`,
    ...(commitNote === undefined ? {} : { subtitleNote: commitNote }),
    sections,
    notes: notes.list,
  };
}

function gpuReason(backend: string): string {
  return backend === "cpu" ? "no GPU: the CPU backend" : "the GPU tool did not report it";
}

function status(row: SweepRow): string {
  const reasons = row.run_quality_reasons.length ? `: ${row.run_quality_reasons.join(", ")}` : "";
  return `${row.run_quality_status}${reasons}${row.valid ? "" : " (invalid: excluded)"}`;
}

function measured(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join("+") : String(value)}`)
    .join(", ");
}

/** Ratios and rates: three decimals. */
export function ratio(value: number): string {
  return value.toFixed(3);
}

export function secs(value: number): string {
  return `${value.toFixed(3)} s`;
}
