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
  let signal: "SIGINT" | "SIGTERM" | undefined;
  const handlers = (["SIGINT", "SIGTERM"] as const).map((name) => {
    const handler = () => {
      signal ??= name;
      job.stop();
    };
    Deno.addSignalListener(name, handler);
    return () => Deno.removeSignalListener(name, handler);
  });
  const display = showImportProgress(job, style, context.log);
  let outcome;
  try {
    outcome = await run();
  } finally {
    display.stop(outcome !== undefined);
    for (const remove of handlers) remove();
  }
  const stats = outcome.stats;
  if (json) context.out(`${JSON.stringify({ ...importJson(outcome), ...report.json })}\n`);
  else context.log.notice(`${importSummary(stats)}${report.suffix ?? ""}`);
  reportImportFailures(stats, context.log);
  if (outcome.skipLimit) context.log.error(outcome.skipLimit);
  if (outcome.stopped) return signal === "SIGTERM" ? 143 : 130;
  return stats.failed > 0 || outcome.skipLimit ? 1 : 0;
}
