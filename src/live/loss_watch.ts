/**
 * Signs that notifications were lost without a trace, polled from `INFO` on the source every second:
 * a different run_id (the server restarted), more FLUSHDB/FLUSHALL calls than before (a flush emits no
 * per-key events), more SWAPDB calls (a whole database swapped in), or counters that went down (CONFIG
 * RESETSTAT: a flush may be hidden, so assume one).
 */
import type { Commands } from "../redis/commands.ts";
import { ErrorReply, toText } from "../../resp/mod.ts";

export interface LossSnapshot {
  runId: string;
  flushes: number;
  swaps: number;
}

/** The parts of `INFO server commandstats` text that tell of lost events. */
export function parseLossInfo(info: string): LossSnapshot {
  const runId = /run_id:(\w+)/.exec(info)?.[1] ?? "";
  let flushes = 0;
  for (const match of info.matchAll(/cmdstat_flush(?:db|all):calls=(\d+)/g)) flushes += Number(match[1]);
  const swaps = Number(/cmdstat_swapdb:calls=(\d+)/.exec(info)?.[1] ?? 0);
  return { runId, flushes, swaps };
}

/** Why events may have been lost between two snapshots, or undefined. */
export function lossReason(before: LossSnapshot, now: LossSnapshot): string | undefined {
  if (now.runId !== before.runId) return "the source restarted (its run_id changed)";
  if (now.flushes > before.flushes) {
    return "FLUSHDB/FLUSHALL ran on the source (a flush sends no per-key events)";
  }
  if (now.swaps > before.swaps) {
    return "SWAPDB ran on the source (a swapped database sends no per-key events)";
  }
  if (now.flushes < before.flushes || now.swaps < before.swaps) {
    return "the source's command statistics were reset (a flush could be hidden)";
  }
  return undefined;
}

async function read(connection: Commands): Promise<LossSnapshot> {
  return parseLossInfo(toText(await connection.call("INFO", "server", "commandstats")));
}

/** INFO refused by the source (an ACL without +info): live replication cannot see silent losses. */
export class InfoRefusedError extends Error {
  override name = "InfoRefusedError";
}

export class LossWatch {
  private last: LossSnapshot | undefined;

  constructor(private readonly connection: () => Commands) {}

  /** The reference snapshot; InfoRefusedError (with what to grant) when the source refuses INFO. */
  async start(): Promise<void> {
    try {
      this.last = await read(this.connection());
    } catch (error) {
      if (!(error instanceof ErrorReply)) throw error;
      throw new InfoRefusedError(
        `${this.connection().endpoint} refused INFO (${error.message}): live replication reads INFO on the ` +
          `source to notice restarts, flushes and SWAPDB (they send no events); grant the source user +info`,
      );
    }
  }

  /** A reason when events may have been lost since the previous check, else undefined. */
  async check(): Promise<string | undefined> {
    const now = await read(this.connection());
    const before = this.last ?? now;
    this.last = now;
    return lossReason(before, now);
  }
}
