/**
 * Writer (src/pipeline/stages.ts) for a cluster target: records that carry server-wide state rather than a
 * key (function libraries: `FUNCTION RESTORE ... REPLACE`) are written to every master, since each master
 * keeps its own libraries and a cluster routes keyless commands to one master only. Every other record
 * goes to `inner` (routed by slot).
 *
 * A server-wide record counts once: written when every master took it, else one failure with the first
 * refusal (the masters that took it keep it; REPLACE makes the retry of the whole record safe). A lost
 * connection rejects the whole write, as in RestoreWriter.
 */
import type { KeyFailure } from "../pipeline/failure.ts";
import type { KeyRecord } from "../pipeline/record.ts";
import type { Writer, WriteResult } from "../pipeline/stages.ts";
import type { Commands } from "../redis/commands.ts";
import { upperName } from "../redis/cluster/command_keys.ts";
import { writeRecords } from "./restore_writer.ts";

/** Commands whose effect is per server, not per key: they must reach every master of a cluster. */
const SERVER_WIDE = new Set(["FUNCTION"]);

export function isServerWide(record: KeyRecord): boolean {
  return record.kind === "commands" && record.commands.length > 0 &&
    record.commands.every((command) => SERVER_WIDE.has(upperName(command[0])));
}

const EMPTY: WriteResult = { written: 0, deleted: 0, bytes: 0, failures: [], failedRecords: [] };

export class EveryMasterWriter implements Writer {
  /** `masters`: the commands of each master, looked up on each write (it follows a topology change). */
  constructor(private readonly inner: Writer, private readonly masters: () => Commands[]) {}

  async write(records: KeyRecord[]): Promise<WriteResult> {
    const wide = records.filter(isServerWide);
    if (wide.length === 0) return this.inner.write(records);
    const rest = records.filter((record) => !isServerWide(record));
    const [keyed, ...perMaster] = await Promise.all([
      rest.length > 0 ? this.inner.write(rest) : Promise.resolve(EMPTY),
      ...this.masters().map((master) => writeRecords(master, wide)),
    ]);
    const result: WriteResult = {
      ...keyed,
      failures: [...keyed.failures],
      failedRecords: [...keyed.failedRecords],
    };
    for (const record of wide) {
      const failure = firstFailure(perMaster, record);
      if (failure) {
        result.failures.push(failure);
        result.failedRecords.push(record);
      } else result.written++;
    }
    return result;
  }
}

/** The first master's refusal of `record`, if any master refused it. */
function firstFailure(outcomes: WriteResult[], record: KeyRecord): KeyFailure | undefined {
  for (const outcome of outcomes) {
    const index = outcome.failedRecords.indexOf(record);
    if (index >= 0) return outcome.failures[index];
  }
  return undefined;
}
