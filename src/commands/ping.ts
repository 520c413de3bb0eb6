/**
 * `riot ping`: measure PING round trips to one server, like `ping(8)` or `redis-cli --latency`.
 *
 * Modes: one line per reply (default); a redis-cli `--latency` view that rewrites one line in place on a
 * terminal (`-l`); one JSON object on stdout (`--json`). Every mode ends with the statistics of all
 * samples. Ctrl-C (SIGINT) stops early and still reports. A connection failure is one line and exit 1.
 */
import { type CommandContext, type CommandModule, parseCommandArgs } from "../cli/command.ts";
import { CONNECTION_SPECS, toConnectionOptions } from "../cli/connection_flags.ts";
import type { OptionSpec } from "../cli/parse.ts";
import { connect } from "../redis/connect.ts";
import { ConnectionError } from "../redis/errors.ts";
import { describeEndpoint } from "../redis/options.ts";
import { encodeCommands, ErrorReply } from "../../resp/mod.ts";
import { LatencyStats } from "../pipeline/latency.ts";

const DEFAULT_COUNT = 10;
const DEFAULT_INTERVAL_MS = 100;
/** redis-cli --latency samples every 10 ms and runs until Ctrl-C. */
const LATENCY_INTERVAL_MS = 10;
/** How often the --latency line is redrawn at most. */
const REDRAW_MS = 100;

const SPECS: readonly OptionSpec[] = [
  ...CONNECTION_SPECS,
  {
    long: "count",
    kind: "int",
    key: "count",
    arg: "N",
    min: 0,
    help: "PINGs to send, 0 = until Ctrl-C",
    defaultText: `${DEFAULT_COUNT}, with --latency 0`,
  },
  {
    long: "interval",
    kind: "duration",
    key: "interval",
    arg: "TIME",
    min: 0,
    help: "Pause after each reply, e.g. 100, 100ms, 1s",
    defaultText: `${DEFAULT_INTERVAL_MS}ms, with --latency ${LATENCY_INTERVAL_MS}ms`,
  },
  {
    long: "latency",
    short: "l",
    kind: "flag",
    key: "latency",
    help: "redis-cli --latency view: min, max, avg on one line updated in place",
  },
  { long: "json", kind: "flag", key: "json", help: "Print one JSON object with the statistics on stdout" },
];

/** What `--json` prints; every time is in milliseconds, null when there was no sample. */
export interface PingReport {
  endpoint: string;
  samples: number;
  min: number | null;
  avg: number | null;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export const pingCommand: CommandModule = {
  name: "ping",
  summary: "Measure PING round trips to a server (latency)",
  usage: `Usage: riot [OPTIONS] ping [OPTIONS]

Sends PING, one at a time, and measures each round trip. Prints one line per reply and a summary;
-l shows a redis-cli --latency style line instead, --json one JSON object. Ctrl-C stops and reports.
Connection options may come before or after 'ping'; those after it win.

Examples:
  riot ping -h 10.0.0.5 -p 6380 --count 5
  riot -u rediss://:secret@cache:6380 ping -l
  riot ping --count 1000 --interval 0 --json`,
  specs: SPECS,
  run: runPing,
};

async function runPing(context: CommandContext): Promise<number> {
  const own = parseCommandArgs(pingCommand, context.argv).values;
  const options = toConnectionOptions([context.global, own], context.env);
  context.log.addSecret(options.password);
  const latencyView = own.latency === true;
  const json = own.json === true;
  const count = (own.count as number | undefined) ?? (latencyView ? 0 : DEFAULT_COUNT);
  const interval = (own.interval as number | undefined) ??
    (latencyView ? LATENCY_INTERVAL_MS : DEFAULT_INTERVAL_MS);
  const endpoint = describeEndpoint(options);
  const live = latencyView && !json && Deno.stdout.isTerminal();

  const connection = await connect(options);
  const stats = new LatencyStats();
  const stop = stopSignal();
  let failure: unknown;
  try {
    const ping = encodeCommands([["PING"]]);
    let lastDraw = 0;
    for (let seq = 1; count === 0 || seq <= count; seq++) {
      const start = performance.now();
      const [reply] = await Promise.race([connection.enqueue(1, ping), stop.stopped]) ?? [];
      if (stop.isStopped) break;
      const ms = performance.now() - start;
      if (reply instanceof ErrorReply) {
        throw new ConnectionError(endpoint, `PING to ${endpoint} failed: ${reply.message}`);
      }
      stats.add(ms);
      if (json) {
        // Statistics only.
      } else if (latencyView) {
        if (live && (performance.now() - lastDraw >= REDRAW_MS || seq === count)) {
          context.out(`\r\x1b[K${latencyLine(stats)}`);
          lastDraw = performance.now();
        }
      } else {
        context.out(`PONG from ${endpoint}: seq=${seq} time=${fixed(ms)} ms\n`);
      }
      if (count !== 0 && seq >= count) break;
      if (interval > 0) await stop.sleep(interval);
      if (stop.isStopped) break;
    }
  } catch (error) {
    failure = error;
  } finally {
    stop.dispose();
    connection.close();
  }
  if (json) {
    context.out(`${JSON.stringify(report(endpoint, stats))}\n`);
  } else {
    if (live) context.out("\r\x1b[K");
    if (latencyView) context.out(`${latencyLine(stats)}\n`);
    context.out(`${summaryLine(endpoint, stats)}\n`);
  }
  if (failure !== undefined) throw failure;
  return 0;
}

/** The statistics as `--json` prints them, rounded to microseconds. */
export function report(endpoint: string, stats: LatencyStats): PingReport {
  const ms = (value: number) => stats.count === 0 ? null : Math.round(value * 1000) / 1000;
  return {
    endpoint,
    samples: stats.count,
    min: ms(stats.min),
    avg: ms(stats.avg),
    p50: ms(stats.percentile(50)),
    p99: ms(stats.percentile(99)),
    max: ms(stats.max),
  };
}

/** redis-cli --latency's line: `min: 0.10, max: 3.20, avg: 0.40 (120 samples)`, in ms. */
function latencyLine(stats: LatencyStats): string {
  if (stats.count === 0) return "min: -, max: -, avg: - (0 samples)";
  return `min: ${fixed(stats.min)}, max: ${fixed(stats.max)}, avg: ${
    fixed(stats.avg)
  } (${stats.count} samples)`;
}

function summaryLine(endpoint: string, stats: LatencyStats): string {
  const head = `${endpoint}: ${stats.count} ${stats.count === 1 ? "PING" : "PINGs"}`;
  if (stats.count === 0) return `${head}, no reply`;
  return `${head}, min/avg/p50/p99/max = ${
    [stats.min, stats.avg, stats.percentile(50), stats.percentile(99), stats.max].map(fixed).join("/")
  } ms`;
}

function fixed(ms: number): string {
  return ms.toFixed(ms < 10 ? 3 : ms < 1000 ? 2 : 0);
}

interface StopSignal {
  /** Resolves (with undefined) on SIGINT. */
  stopped: Promise<undefined>;
  readonly isStopped: boolean;
  /** Resolves after `ms`, or at once on SIGINT. */
  sleep(ms: number): Promise<void>;
  /** Removes the SIGINT listener and any pending timer. */
  dispose(): void;
}

/** SIGINT as a promise, for the length of one run; Ctrl-C then stops the run instead of the process. */
function stopSignal(): StopSignal {
  let resolveStopped!: (value: undefined) => void;
  const stopped = new Promise<undefined>((resolve) => (resolveStopped = resolve));
  let isStopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  const onSigint = () => {
    isStopped = true;
    resolveStopped(undefined);
    wake?.();
  };
  let listening = false;
  try {
    Deno.addSignalListener("SIGINT", onSigint);
    listening = true;
  } catch {
    // No signal support here (or no permission): Ctrl-C ends the process as usual.
  }
  return {
    stopped,
    get isStopped() {
      return isStopped;
    },
    sleep(ms) {
      if (isStopped) return Promise.resolve();
      return new Promise<void>((resolve) => {
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
        timer = setTimeout(wake, ms);
      });
    },
    dispose() {
      clearTimeout(timer);
      wake = undefined;
      if (listening) Deno.removeSignalListener("SIGINT", onSigint);
    },
  };
}
