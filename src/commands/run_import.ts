/**
 * The part of an import command after its input is open: run the ImportJob with its progress display,
 * stop it at a batch boundary on SIGINT/SIGTERM (in-flight writes finish), print the summary and failures,
 * and give the exit code: 130/143 when a signal stopped it, 1 when a record failed or --skip-limit was hit.
 */
import type { CommandContext } from "../cli/command.ts";
import type { ParsedValues } from "../cli/parse.ts";
import type { ImportJob } from "../imports/import_job.ts";
import { importJson, importSummary, reportImportFailures, showImportProgress } from "../ui/import_report.ts";
import { defaultProgressStyle, type ProgressStyle } from "../ui/progress.ts";
import { watchStopSignals } from "./stop_signals.ts";

export async function runImport(
  job: ImportJob,
  run: () => ReturnType<ImportJob["run"]>,
  values: ParsedValues,
  context: CommandContext,
  report: { json: Record<string, unknown>; suffix?: string },
): Promise<number> {
  const json = values.json === true;
  const style = (values.progress as ProgressStyle | undefined) ??
    (json || !context.log.enabled("warn") ? "none" : defaultProgressStyle());
  const signals = watchStopSignals(context, {
    stop: () => job.stop(),
    meaning: () => "finishing in-flight writes, then stopping",
    abortNote: "in-flight writes may be lost",
  });
  const display = showImportProgress(job, style, context.log);
  let outcome;
  try {
    outcome = await run();
  } finally {
    display.stop(outcome !== undefined);
    signals.close();
  }
  const stats = outcome.stats;
  if (json) context.out(`${JSON.stringify({ ...importJson(outcome), ...report.json })}\n`);
  else context.log.notice(`${importSummary(stats)}${report.suffix ?? ""}`);
  reportImportFailures(stats, context.log);
  if (outcome.skipLimit) context.log.error(outcome.skipLimit);
  if (outcome.stopped) return signals.exitCode;
  return stats.failed > 0 || outcome.skipLimit ? 1 : 0;
}
