/**
 * file-import without a write operation: each JSON record of a data-structure dump (the format file-export
 * writes and RIOT's redis-dump.json uses, src/exports/dump_format.ts) becomes the commands that restore
 * its key exactly: DEL, the type's writes in windows, PEXPIREAT for the absolute TTL. A record that does
 * not fit the format fails with its origin and the reason; the others are restored.
 *
 *   restoreRecord(value, origin) -> Processed     (the `process` function of ImportJob.run)
 */
import { DumpFormatError, restoreCommands } from "../exports/dump_format.ts";
import { recordFailure } from "../pipeline/failure.ts";
import type { Processed } from "./record_processor.ts";

const NO_KEY = new Uint8Array(0);

export function restoreRecord(value: unknown, origin: string): Processed {
  try {
    const plan = restoreCommands(value);
    return { kind: "record", record: { kind: "commands", key: plan.key, commands: plan.commands, origin } };
  } catch (error) {
    if (!(error instanceof DumpFormatError)) throw error;
    return { kind: "failed", failure: recordFailure(NO_KEY, `not a dump record: ${error.message}`, origin) };
  }
}
