/**
 * Helpers for the tests of issue #7's promises: riot in-process with output readable while it runs, riot as
 * a child process (for signals), and waiting on a condition.
 */
import { runMain } from "../src/cli/main.ts";
import { COMMANDS } from "./_riot.ts";

const REPO = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();

export interface Finished {
  code: number;
  out: string;
  err: string;
  ms: number;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms until it is true; rejects after `timeoutMs` naming `what`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** runMain in-process; `output` fills while the run goes on. */
export function startRiot(args: string[]): { done: Promise<Finished>; output: { out: string; err: string } } {
  const output = { out: "", err: "" };
  const started = performance.now();
  const done = runMain(args, {
    out: (text) => output.out += text,
    err: (text) => output.err += text,
    env: { get: () => undefined },
  }, COMMANDS).then((code) => ({ code, out: output.out, err: output.err, ms: performance.now() - started }));
  return { done, output };
}

/** `deno run main.ts ...args` as a child process: signals reach it for real. `output` fills as it runs. */
export class RiotProcess {
  readonly output = { out: "", err: "" };
  readonly done: Promise<Finished>;
  readonly #child: Deno.ChildProcess;

  constructor(args: string[]) {
    const started = performance.now();
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "main.ts", ...args],
      cwd: REPO,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const collect = async (stream: ReadableStream<Uint8Array>, into: "out" | "err") => {
      for await (const chunk of stream) this.output[into] += decoder.decode(chunk, { stream: true });
    };
    const streams = Promise.all([collect(this.#child.stdout, "out"), collect(this.#child.stderr, "err")]);
    this.done = Promise.all([this.#child.status, streams]).then(([status]) => ({
      code: status.code,
      out: this.output.out,
      err: this.output.err,
      ms: performance.now() - started,
    }));
  }

  /** Sends a signal to this child (by its own handle). */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Ends the child with SIGKILL if it still runs (cleanup after a failed wait). */
  async abort(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Exited already.
    }
    await this.done;
  }

  /** Waits for `pattern` on stderr. */
  waitForErr(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    return waitFor(
      `${pattern} on riot's stderr`,
      () => Promise.resolve(pattern.test(this.output.err)),
      timeoutMs,
    );
  }
}
