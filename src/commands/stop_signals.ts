/**
 * SIGINT and SIGTERM for every command that can stop gracefully, with one behaviour:
 * - the first signal logs `<SIGNAL>: <what happens now> (<SIGNAL> again aborts)` and calls `stop()`; what a
 *   stop means is the command's (end the copy at a batch boundary, end the live phase, save a checkpoint);
 * - a second signal logs `<SIGNAL> again: aborting now[; <abortNote>]` and exits at once;
 * - `received` names the first signal, and `exitCode` is what a stopped run exits with: 130 after SIGINT,
 *   143 after SIGTERM (128 + the signal number, as shells do);
 * - `close()` removes the listeners (call it when the work is over, in a `finally`).
 */
import type { CommandContext } from "../cli/command.ts";

export type StopSignal = "SIGINT" | "SIGTERM";

export interface StopSignals {
  readonly received: StopSignal | undefined;
  readonly exitCode: number;
  close(): void;
}

export interface StopSignalOptions {
  stop: () => void;
  /** What the first signal does, as the warning says it (asked when the signal arrives). */
  meaning: () => string;
  /** What an abort may leave behind, added to the second signal's line. */
  abortNote?: string;
}

export function exitCodeOf(signal: StopSignal): number {
  return signal === "SIGTERM" ? 143 : 130;
}

export function watchStopSignals(context: CommandContext, options: StopSignalOptions): StopSignals {
  let received: StopSignal | undefined;
  const removers = (["SIGINT", "SIGTERM"] as const).map((name) => {
    const handler = () => {
      if (received !== undefined) {
        const second = name === received ? `${name} again` : `${name} after ${received}`;
        context.log.error(`${second}: aborting now${options.abortNote ? `; ${options.abortNote}` : ""}`);
        context.exit(exitCodeOf(name));
        return;
      }
      received = name;
      context.log.warn(`${name}: ${options.meaning()} (${name} again aborts)`);
      options.stop();
    };
    Deno.addSignalListener(name, handler);
    return () => Deno.removeSignalListener(name, handler);
  });
  return {
    get received() {
      return received;
    },
    get exitCode() {
      return exitCodeOf(received ?? "SIGINT");
    },
    close: () => removers.forEach((remove) => remove()),
  };
}
