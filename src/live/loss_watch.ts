/**
 * Signs that notifications were lost without a trace, polled from `INFO` on the source every second:
 * a different run_id (the server restarted), more FLUSHDB/FLUSHALL calls than before (a flush emits no
 * per-key events), or counters that went down (CONFIG RESETSTAT: a flush may be hidden, so assume one).
 */
import type { RedisConnection } from "../redis/connection.ts";
import { toText } from "../../resp/mod.ts";

interface Snapshot {
  runId: string;
  flushes: number;
}

async function read(connection: RedisConnection): Promise<Snapshot> {
  const info = toText(await connection.call("INFO", "server", "commandstats"));
  const runId = /run_id:(\w+)/.exec(info)?.[1] ?? "";
  let flushes = 0;
  for (const match of info.matchAll(/cmdstat_flush(?:db|all):calls=(\d+)/g)) flushes += Number(match[1]);
  return { runId, flushes };
}

export class LossWatch {
  private last: Snapshot | undefined;

  constructor(private readonly connection: () => RedisConnection) {}

  async start(): Promise<void> {
    this.last = await read(this.connection());
  }

  /** A reason when events may have been lost since the previous check, else undefined. */
  async check(): Promise<string | undefined> {
    const now = await read(this.connection());
    const before = this.last!;
    this.last = now;
    if (now.runId !== before.runId) return "the source restarted (its run_id changed)";
    if (now.flushes > before.flushes) {
      return "FLUSHDB/FLUSHALL ran on the source (a flush sends no per-key events)";
    }
    if (now.flushes < before.flushes) {
      return "the source's command statistics were reset (a flush could be hidden)";
    }
    return undefined;
  }
}
