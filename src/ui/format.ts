/**
 * Pure formatting for progress lines and summaries: human counts (1.2M), sizes (12.3 MiB), durations
 * (3m05s), rates, ETAs, percentages and a text bar. No clock, no I/O: callers pass times in.
 */

const COUNT_UNITS = ["", "k", "M", "G", "T", "P"];
const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/**
 * Scale `value` down by `base` until it is below `base`; returns the text with one decimal below 100 and
 * none from 100 on, so that it never takes more than 5 characters. Rounding up to `base` moves to the next
 * unit (999_960 -> 1.0M, not 1000k).
 */
function scaled(value: number, base: number, units: readonly string[], separator: string): string {
  let unit = 0;
  let scaledValue = value;
  while (unit < units.length - 1) {
    const text = scaledValue < 100 ? scaledValue.toFixed(1) : scaledValue.toFixed(0);
    if (Number(text) < base) break;
    scaledValue /= base;
    unit++;
  }
  const text = scaledValue < 100 ? scaledValue.toFixed(1) : scaledValue.toFixed(0);
  return `${text}${separator}${units[unit]}`;
}

/** A count for people: 999, 1.2k, 12.3k, 123k, 1.2M. Below 1000 it is the rounded integer. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n < 0) return `-${formatCount(-n)}`;
  if (Math.round(n) < 1000) return String(Math.round(n));
  return scaled(n, 1000, COUNT_UNITS, "");
}

/** A byte size in binary units: 512 B, 1.5 KiB, 12.3 MiB, 123 GiB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return `${n} B`;
  if (n < 0) return `-${formatBytes(-n)}`;
  if (Math.round(n) < 1024) return `${Math.round(n)} B`;
  return scaled(n, 1024, BYTE_UNITS, " ");
}

/** An integer with thousands separators: 1,000,000. */
export function formatThousands(n: number): string {
  const rounded = Math.round(n);
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return rounded < 0 ? `-${digits}` : digits;
}

/**
 * A duration for people: 450ms, 2.5s, 45s, 3m05s, 1h02m, 2d03h. Rounded down at the shown precision so
 * that a countdown never shows more time than is left, except below one second (rounded to the ms).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "--";
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 10) return `${(Math.floor(seconds * 10) / 10).toFixed(1)}s`;
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  const total = Math.floor(seconds);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (total < 3600) return `${Math.floor(total / 60)}m${pad(total % 60)}s`;
  if (total < 86400) return `${Math.floor(total / 3600)}h${pad(Math.floor(total / 60) % 60)}m`;
  return `${Math.floor(total / 86400)}d${pad(Math.floor(total / 3600) % 24)}h`;
}

/** A rate: `1.2k/s`. */
export function formatRate(perSecond: number): string {
  return `${formatCount(perSecond)}/s`;
}

/** A percentage with one decimal below 100, clamped to 0..100: 0.0%, 42.3%, 100%. "--" without a total. */
export function formatPercent(done: number, total: number | undefined): string {
  if (total === undefined || !(total > 0)) return done > 0 && total === 0 ? "100%" : "--";
  const pct = Math.min(100, Math.max(0, (done / total) * 100));
  const text = pct.toFixed(1);
  return text === "100.0" ? (done >= total ? "100%" : "99.9%") : `${text}%`;
}

/** One observation of a counter at a time in milliseconds. */
export interface RateSample {
  t: number;
  done: number;
}

/**
 * Items per second between the oldest and the newest sample (the caller keeps only the last few seconds,
 * which smooths the rate). 0 with fewer than two samples or no time between them.
 */
export function windowRate(samples: readonly RateSample[]): number {
  if (samples.length < 2) return 0;
  const first = samples[0];
  const last = samples[samples.length - 1];
  const dt = last.t - first.t;
  if (dt <= 0) return 0;
  return Math.max(0, ((last.done - first.done) * 1000) / dt);
}

/**
 * Milliseconds left at `ratePerSecond`. Undefined when it cannot be told: no total, or no progress yet.
 * 0 once done reaches the total.
 */
export function etaMs(done: number, total: number | undefined, ratePerSecond: number): number | undefined {
  if (total === undefined) return undefined;
  if (done >= total) return 0;
  if (!(ratePerSecond > 0)) return undefined;
  return ((total - done) / ratePerSecond) * 1000;
}

/** `[=======>      ]`: `width` characters between the brackets, filled to `fraction` (clamped 0..1). */
export function formatBar(fraction: number, width: number): string {
  const inner = Math.max(1, Math.floor(width));
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.floor(clamped * inner);
  if (filled >= inner) return `[${"=".repeat(inner)}]`;
  const body = filled === 0 ? " ".repeat(inner) : `${"=".repeat(filled - 1)}>${" ".repeat(inner - filled)}`;
  return `[${body}]`;
}

/** What one progress line shows. */
export interface ProgressLine {
  label: string;
  done: number;
  total?: number;
  /** The total is a guess (shown as `~total`). */
  totalEstimated?: boolean;
  /** Items per second. */
  rate: number;
  /** Time since the start, shown on the final line instead of the ETA. */
  elapsedMs: number;
  /** The last line: shows the average rate and the elapsed time. */
  final?: boolean;
  extra?: string;
}

/** `done/total` or `done/~total`, or just `done` without a total. */
export function formatDoneOfTotal(done: number, total: number | undefined, estimated = false): string {
  if (total === undefined) return formatCount(done);
  return `${formatCount(done)}/${estimated ? "~" : ""}${formatCount(total)}`;
}

/**
 * The text of one progress line.
 * - Without `barWidth` (log lines): `label: 12.3k/100k (12.3%) 4.5k/s eta 19s | extra`.
 * - With `barWidth` (terminal): `label [====>   ] 12.3k/100k 12.3% 4.5k/s eta 19s | extra`; the bar is only
 *   drawn when the total is known.
 * The final line replaces `eta ...` with `in <elapsed>`. Done never shows above the total (nor above 100%):
 * a total that done has passed is raised to done and shown as a guess (`~`).
 */
export function formatProgressLine(input: ProgressLine, barWidth?: number): string {
  // Done past the total (live writes during the copy, keys added since DBSIZE): the total was a guess.
  const line = input.total !== undefined && input.done > input.total
    ? { ...input, total: input.done, totalEstimated: true }
    : input;
  const parts: string[] = [];
  const hasTotal = line.total !== undefined;
  if (barWidth !== undefined) {
    parts.push(line.label);
    if (hasTotal) {
      const fraction = line.total! > 0 ? line.done / line.total! : 1;
      parts.push(formatBar(fraction, barWidth));
    }
    parts.push(formatDoneOfTotal(line.done, line.total, line.totalEstimated));
    if (hasTotal) parts.push(formatPercent(line.done, line.total));
  } else {
    parts.push(`${line.label}:`);
    parts.push(formatDoneOfTotal(line.done, line.total, line.totalEstimated));
    if (hasTotal) parts.push(`(${formatPercent(line.done, line.total)})`);
  }
  parts.push(formatRate(line.rate));
  if (line.final) {
    parts.push(`in ${formatDuration(line.elapsedMs)}`);
  } else if (hasTotal) {
    const eta = etaMs(line.done, line.total, line.rate);
    parts.push(`eta ${eta === undefined ? "--" : formatDuration(eta)}`);
  }
  let text = parts.join(" ");
  if (line.extra) text += ` | ${line.extra}`;
  return text;
}

/** Cut `text` to `columns` characters (so that a redrawn line never wraps), ending with `…` when cut. */
export function fitColumns(text: string, columns: number): string {
  if (columns <= 0 || text.length <= columns) return text;
  return `${text.slice(0, Math.max(0, columns - 1))}…`;
}

/** "lag p50 12 ms, p99 40 ms", or "no change applied yet" before the first sample. */
export function formatLag(p50: number, p99: number): string {
  if (Number.isNaN(p50)) return "no change applied yet";
  return `lag p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms`;
}
