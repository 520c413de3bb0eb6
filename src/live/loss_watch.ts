/**
 * Signs that notifications were lost without a trace, polled from `INFO` on the source every second:
 * a different run_id (the server restarted), more FLUSHDB/FLUSHALL calls than before (a flush emits no
 * per-key events), or counters that went down (CONFIG RESETSTAT: a flush may be hidden, so assume one).
 */
import type { RedisConnection } from "../redis/connection.ts";
import { toText } from "../../resp/mod.ts";

export interface LossSnapshot {
  runId: string;
  flushes: number;
}

/** What INFO server + commandstats says about losses: the run_id and the FLUSHDB + FLUSHALL calls. Pure. */
export function parseLossInfo(info: string): LossSnapshot {
  const runId = /run_id:(\w+)/.exec(info)?.[1] ?? "";
  let flushes = 0;
  for (const match of info.matchAll(/cmdstat_flush(?:db|all):calls=(\d+)/g)) flushes += Number(match[1]);
  return { runId, flushes };
}

/** Why events may have been lost between two snapshots, or undefined when nothing says so. Pure. */
export function lossReason(before: LossSnapshot, now: LossSnapshot): string | undefined {
  if (now.runId !== before.runId) return "the source restarted (its run_id changed)";
  if (now.flushes > before.flushes) {
    return "FLUSHDB/FLUSHALL ran on the source (a flush sends no per-key events)";
  }
  if (now.flushes < before.flushes) {
    return "the source's command statistics were reset (a flush could be hidden)";
  }
  return undefined;
}

async function read(connection: RedisConnection): Promise<LossSnapshot> {
  return parseLossInfo(toText(await connection.call("INFO", "server", "commandstats")));
}

export class LossWatch {
  private last: LossSnapshot | undefined;

  constructor(private readonly connection: () => RedisConnection) {}

  async start(): Promise<void> {
    this.last = await read(this.connection());
  }

  /** A reason when events may have been lost since the previous check, else undefined. */
  async check(): Promise<string | undefined> {
    const now = await read(this.connection());
    const before = this.last!;
    this.last = now;
    return lossReason(before, now);
  }
}
