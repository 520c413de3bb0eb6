/**
 * Log lines on stderr. Levels: error (-q), warn (default), info (-i), debug (-d). Every line passes
 * through redaction of the secrets registered with `addSecret`, so a password never reaches the terminal.
 */
export type LogLevel = "error" | "warn" | "info" | "debug";
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface LogSink {
  write(line: string): void;
}

const stderrSink: LogSink = {
  write(line) {
    Deno.stderr.writeSync(new TextEncoder().encode(line));
  },
};

export class Logger {
  private readonly secrets = new Set<string>();
  /** Called before each line is written (the progress bar clears its line). */
  beforeWrite: (() => void) | undefined;

  constructor(public level: LogLevel = "warn", private readonly sink: LogSink = stderrSink) {}

  addSecret(secret: string | undefined): void {
    if (secret) this.secrets.add(secret);
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  error(message: string): void {
    this.emit("error", message);
  }
  warn(message: string): void {
    this.emit("warn", message);
  }
  /** A plain line shown unless -q (summaries, notices): no prefix. */
  notice(message: string): void {
    if (!this.enabled("warn")) return;
    this.beforeWrite?.();
    this.sink.write(`${this.redact(message)}\n`);
  }
  info(message: string): void {
    this.emit("info", message);
  }
  debug(message: string | (() => string)): void {
    if (this.enabled("debug")) this.emit("debug", typeof message === "function" ? message() : message);
  }

  /** Remove registered secrets from a text. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join("***");
    return out;
  }

  private emit(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    this.beforeWrite?.();
    const prefix = level === "error" ? "error: " : level === "warn" ? "warning: " : "";
    this.sink.write(`${this.redact(prefix + message)}\n`);
  }
}
