/**
 * The key filters (--key-pattern, --key-include/--key-exclude, --key-slots, --key-type) applied to the
 * commands of the replication stream, so the target holds exactly the source's keys that pass them, as
 * after a filtered snapshot copy. Per command (its keys from CommandTable; `getKeys` asks the source for a
 * command whose keys depend on its arguments):
 *
 * - No keys (SELECT, FUNCTION, MULTI...): applied; except FLUSHALL, FLUSHDB and SWAPDB, which would act on
 *   keys the filters leave out (another application's keys on a shared target): refused (reported).
 * - A key passes when its name passes the name filters (pattern, globs, slots) and, for a command of one
 *   data type, that type is the filtered one. Generic commands (DEL, EXPIRE, RENAME...) pass the type
 *   filter: they act on what the target holds, which is only keys of the filtered type.
 * - Every key passes: applied as is. None passes: skipped, except that keys failing only the type filter
 *   are deleted on the target: the command succeeded on the source, so the key now has another type (or
 *   is gone) there, and must not stay on the target with its old type.
 * - Some keys pass, some not: commands that act on each key alone (DEL, UNLINK, TOUCH, MSET, MSETNX, which
 *   is in the stream only when it set every key) are applied to the keys that pass. Any other command
 *   (RENAME, SMOVE, SUNIONSTORE, LMOVE...) links keys on both sides of the filter: applying it would read
 *   or move data the target does not hold, and leaving it out leaves the passing keys stale, so it is not
 *   applied and is refused with its keys, to be reported: exactness cannot be had for those keys, and the
 *   user should know which (or widen the filters so that linked keys are copied together).
 * - A command the source does not list, or whose keys cannot be learned: refused.
 */
import type { Command } from "../../resp/mod.ts";
import type { KeyFailure } from "../pipeline/failure.ts";
import { globMatch } from "../sources/glob.ts";
import type { CommandKeys, CommandTable } from "./command_table.ts";

/** The key filters of a sync, as given (replicate --mode sync). */
export interface SyncKeyFilters {
  pattern?: string;
  type?: string;
  /** Globs and slots, on the key's name. */
  filter?: (key: Uint8Array) => boolean;
}

export interface StreamFilterOptions {
  /** Name filters (pattern, include/exclude globs, slots) together; undefined: every name passes. */
  key?: (key: Uint8Array) => boolean;
  /** The one data type kept (TYPE's name), or undefined. */
  type?: string;
}

export type FilterVerdict =
  | { action: "apply"; command: Command }
  | { action: "skip" }
  | { action: "refuse"; reason: string; keys: Uint8Array[] };

/** Per-key commands (every key alone): applied to the passing keys. Value: args per key. */
const PER_KEY: Record<string, { args: number; as?: string }> = {
  del: { args: 1 },
  unlink: { args: 1 },
  touch: { args: 1 },
  mset: { args: 2 },
  msetnx: { args: 2, as: "MSET" },
};
const REFUSED_KEYLESS = new Set(["flushall", "flushdb", "swapdb"]);
const latin1 = new TextDecoder("latin1");

export class StreamFilter {
  constructor(
    private readonly table: CommandTable,
    private readonly options: StreamFilterOptions,
    private readonly getKeys: (args: Uint8Array[]) => Promise<Uint8Array[] | undefined>,
  ) {}

  async decide(args: Uint8Array[]): Promise<FilterVerdict> {
    const name = latin1.decode(args[0]).toLowerCase();
    const found = await this.keys(args);
    if (found.kind === "unknown") {
      return { action: "refuse", reason: `the keys of ${name.toUpperCase()} are not known`, keys: [] };
    }
    const keys = found.keys;
    if (keys.length === 0) {
      if (!REFUSED_KEYLESS.has(name)) return { action: "apply", command: args };
      return {
        action: "refuse",
        reason:
          `${name.toUpperCase()} in the stream is not applied with key filters (it would act on keys the filters leave out)`,
        keys: [],
      };
    }
    const named = keys.map((key) => this.options.key?.(key) ?? true);
    const typed = this.options.type === undefined || found.type === undefined ||
      found.type === this.options.type;
    const passes = named.map((ok) => ok && typed);
    if (passes.every(Boolean)) return { action: "apply", command: args };
    if (!passes.some(Boolean)) {
      const wrongType = keys.filter((_, i) => named[i]);
      return wrongType.length > 0 ? { action: "apply", command: ["DEL", ...wrongType] } : { action: "skip" };
    }
    const perKey = PER_KEY[name];
    if (perKey) return { action: "apply", command: perKeyCommand(args, perKey, passes) };
    return {
      action: "refuse",
      reason: `${name.toUpperCase()} links keys the key filters keep with keys they leave out`,
      keys: keys.filter((_, i) => passes[i]),
    };
  }

  private async keys(
    args: Uint8Array[],
  ): Promise<{ kind: "unknown" } | { kind: "keys"; keys: Uint8Array[]; type?: string }> {
    const found: CommandKeys = this.table.keysOf(args);
    if (found.kind !== "movable") return found;
    const keys = await this.getKeys(args);
    return keys === undefined ? { kind: "unknown" } : { kind: "keys", keys, type: found.type };
  }
}

/** The command with only the keys (and their values) that pass. */
function perKeyCommand(args: Uint8Array[], spec: { args: number; as?: string }, passes: boolean[]): Command {
  const out: Command[number][] = [spec.as ?? args[0]];
  for (let k = 0, i = 1; i < args.length; k++, i += spec.args) {
    if (passes[k]) out.push(...args.slice(i, i + spec.args));
  }
  return out;
}

/** The name filters together (pattern, globs, slots); undefined when there are none. */
export function nameFilter(keys: SyncKeyFilters): ((key: Uint8Array) => boolean) | undefined {
  const pattern = keys.pattern === undefined ? undefined : new TextEncoder().encode(keys.pattern);
  const filter = keys.filter;
  if (!pattern) return filter;
  return (key) => globMatch(pattern, key) && (filter === undefined || filter(key));
}

/** A stream command the key filters could not apply exactly (see src/sync/stream_filter.ts). */
export function filterFailure(key: Uint8Array, reason: string): KeyFailure {
  return {
    key,
    stage: "write",
    code: "other",
    reason,
    advice:
      "widen the key filters so that keys written together are copied together (or give them a common hash tag), then copy these keys again",
  };
}
