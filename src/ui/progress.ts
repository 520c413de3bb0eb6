/**
 * Progress reporting on stderr for long commands.
 *
 * The work never calls Progress: it increments its own counters, and a timer calls `poll()` to read them
 * (every 200 ms for the bar, every 5 s for log lines). Styles:
 * - `bar`: one line redrawn in place (`\r`, clear line) on a terminal. Log lines written meanwhile through
 *   the Logger first clear the bar (`logger.beforeWrite`); the next tick draws it again below them.
 * - `log`: one plain line per interval, for files and CI logs, and a last one if any was printed.
 * - `none`: nothing.
 */
import type { Logger } from "./log.ts";
import { fitColumns, formatProgressLine, type RateSample, windowRate } from "./format.ts";

export type ProgressStyle = "bar" | "log" | "none";

/** What `poll()` returns: counters read by the timer. */
export interface ProgressSample {
  done: number;
  total?: number;
  /** The total is a guess (shown as `~total`). */
  totalEstimated?: boolean;
  /** Appended to the line, e.g. "events/s 1200 | queue 12%". */
  extra?: string;
}

export interface ProgressOptions {
  label: string;
  style: ProgressStyle;
  poll: () => ProgressSample;
  logger: Logger;
  /** Milliseconds between renders; default 200 (bar) or 5000 (log). */
  intervalMs?: number;
  /** Where the text goes; default stderr. */
  write?: (text: string) => void;
  /** Clock in milliseconds; default performance.now. */
  now?: () => number;
}

/** The rate is averaged over at least this long (and at least two intervals). */
const RATE_WINDOW_MS = 5_000;
const CLEAR_LINE = "\r\x1b[2K";
const encoder = new TextEncoder();

/** Write text to stderr synchronously (so that it is not interleaved with log lines). */
export function writeStderr(text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

/** "bar" when stderr is a terminal, else "log". */
export function defaultProgressStyle(): ProgressStyle {
  try {
    return Deno.stderr.isTerminal() ? "bar" : "log";
  } catch {
    return "log";
  }
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

export class Progress {
  readonly style: ProgressStyle;
  private readonly label: string;
  private readonly poll: () => ProgressSample;
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly write: (text: string) => void;
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private samples: RateSample[] = [];
  private startedAt = 0;
  /** The bar line is on screen (and must be cleared before anything else is written). */
  private barShown = false;
  private running = false;
  /** Log lines printed so far (style log). */
  private logLines = 0;
  private previousBeforeWrite: (() => void) | undefined;

  constructor(options: ProgressOptions) {
    this.label = options.label;
    this.style = options.style;
    this.poll = options.poll;
    this.logger = options.logger;
    this.intervalMs = options.intervalMs ?? (options.style === "bar" ? 200 : 5_000);
    this.write = options.write ?? writeStderr;
    this.now = options.now ?? (() => performance.now());
  }

  /** Start the timer (unref'd: it never keeps the process alive). Does nothing for "none" or when started. */
  start(): void {
    if (this.style === "none" || this.running) return;
    this.running = true;
    this.startedAt = this.now();
    this.samples = [{ t: this.startedAt, done: this.safePoll()?.done ?? 0 }];
    this.previousBeforeWrite = this.logger.beforeWrite;
    const previous = this.previousBeforeWrite;
    this.logger.beforeWrite = () => {
      this.clearBar();
      previous?.();
    };
    this.timer = setInterval(() => this.render(false), this.intervalMs);
    Deno.unrefTimer(this.timer);
  }

  /**
   * Stop the timer. With `final` (the default) render one last line (average rate, elapsed time): the bar
   * is then ended with a newline (without `final` it is cleared); in log style the last line is only
   * printed after earlier ones (a run shorter than one interval prints nothing). Idempotent.
   */
  stop(final = true): void {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (final) this.render(true);
    else this.clearBar();
    this.logger.beforeWrite = this.previousBeforeWrite;
  }

  private safePoll(): ProgressSample | undefined {
    try {
      return this.poll();
    } catch {
      return undefined; // a failing poll must not kill the process from a timer
    }
  }

  private render(final: boolean): void {
    const sample = this.safePoll();
    if (sample === undefined) return;
    const now = this.now();
    this.samples.push({ t: now, done: sample.done });
    const window = Math.max(RATE_WINDOW_MS, this.intervalMs * 2);
    while (this.samples.length > 2 && this.samples[1].t < now - window) this.samples.shift();
    const elapsedMs = now - this.startedAt;
    const rate = final ? (elapsedMs > 0 ? (sample.done * 1000) / elapsedMs : 0) : windowRate(this.samples);
    const line = {
      label: this.label,
      done: sample.done,
      total: sample.total,
      totalEstimated: sample.totalEstimated,
      rate,
      elapsedMs,
      final,
      extra: sample.extra,
    };
    if (this.style === "bar") {
      const columns = terminalColumns();
      const barWidth = Math.max(10, Math.min(30, columns - 70));
      const text = fitColumns(formatProgressLine(line, barWidth), columns - 1);
      this.write(`${CLEAR_LINE}${text}${final ? "\n" : ""}`);
      this.barShown = !final;
    } else if (this.style === "log" && (!final || this.logLines > 0)) {
      this.write(`${formatProgressLine(line)}\n`);
      this.logLines++;
    }
  }

  private clearBar(): void {
    if (!this.barShown) return;
    this.barShown = false;
    this.write(CLEAR_LINE);
  }
}
