/**
 * Which arguments of a write command are keys, and which data type it writes, learned once from the source's
 * own `COMMAND` reply (so new commands of a newer server are known without a table here):
 *
 * - Keys: the legacy key spec (first key, last key, step; a negative last counts from the end). A container
 *   command (XGROUP, FUNCTION, OBJECT...) has its subcommands as entries of their own (`xgroup|create`).
 *   Commands whose keys depend on their arguments (the `movablekeys` flag: ZUNIONSTORE, SORT ... STORE,
 *   GEORADIUS ... STORE...) are `movable`: the caller asks the source (`COMMAND GETKEYS`).
 * - Type: from the ACL categories (@string, @bitmap and @hyperloglog write strings, @geo writes sorted
 *   sets...). A command in no data-type category, or in several (DEL, EXPIRE, RENAME, SORT), is generic:
 *   `type` is undefined.
 * A command the source did not list is `unknown`.
 */
import { RespSet, type RespValue, toText } from "../../resp/mod.ts";

export interface CommandKeySpec {
  first: number;
  last: number;
  step: number;
  movable: boolean;
  /** The data type the command works on (TYPE's name), undefined for generic commands. */
  type?: string;
}

export type CommandKeys =
  | { kind: "keys"; keys: Uint8Array[]; type?: string }
  | { kind: "movable"; type?: string }
  | { kind: "unknown" };

const TYPE_OF_CATEGORY: Record<string, string> = {
  "@string": "string",
  "@bitmap": "string",
  "@hyperloglog": "string",
  "@list": "list",
  "@set": "set",
  "@sortedset": "zset",
  "@geo": "zset",
  "@hash": "hash",
  "@stream": "stream",
};

const latin1 = new TextDecoder("latin1");

export class CommandTable {
  private constructor(private readonly specs: Map<string, CommandKeySpec>) {}

  /** From the reply of `COMMAND` (RESP2 or RESP3). */
  static fromCommandReply(reply: RespValue): CommandTable {
    const specs = new Map<string, CommandKeySpec>();
    const add = (entry: RespValue) => {
      if (!Array.isArray(entry) || entry.length < 6) return;
      const name = toText(entry[0]).toLowerCase();
      const flags = items(entry[2]).map((flag) => toText(flag).toLowerCase());
      const types = new Set(
        items(entry[6]).map((category) => TYPE_OF_CATEGORY[toText(category).toLowerCase()]).filter(Boolean),
      );
      specs.set(name, {
        first: Number(entry[3]),
        last: Number(entry[4]),
        step: Number(entry[5]),
        movable: flags.includes("movablekeys"),
        type: types.size === 1 ? [...types][0] : undefined,
      });
      for (const sub of items(entry[9])) add(sub);
    };
    for (const entry of items(reply)) add(entry);
    return new CommandTable(specs);
  }

  /** The keys of `args` (a whole command) and its type; see the module comment. */
  keysOf(args: Uint8Array[]): CommandKeys {
    const name = latin1.decode(args[0]).toLowerCase();
    let spec = this.specs.get(name);
    if (args.length > 1) spec = this.specs.get(`${name}|${latin1.decode(args[1]).toLowerCase()}`) ?? spec;
    if (!spec) return { kind: "unknown" };
    if (spec.movable) return { kind: "movable", type: spec.type };
    const keys: Uint8Array[] = [];
    if (spec.first > 0 && spec.step > 0) {
      const last = spec.last < 0 ? args.length + spec.last : spec.last;
      for (let i = spec.first; i <= last && i < args.length; i += spec.step) keys.push(args[i]);
    }
    return { kind: "keys", keys, type: spec.type };
  }
}

function items(value: RespValue | undefined): RespValue[] {
  if (Array.isArray(value)) return value;
  if (value instanceof RespSet) return value.items;
  return [];
}
