/**
 * Where a command's key is, for routing by slot. Most commands take their key as argument 1; the table
 * below names the others: keyless commands (sent to any master), commands whose key follows a subcommand
 * (`MEMORY USAGE key`, `XINFO GROUPS key`, `XGROUP CREATE key ...`), scripts (`EVAL script numkeys key...`), multi-key commands that
 * are split by slot and whose integer replies add up, and per-node commands that a cluster connection
 * refuses (send them to each of its masters instead).
 *
 * Pure. Command names are matched case-insensitively.
 */
import type { Command, CommandArg } from "../../../resp/mod.ts";
import { slotOf } from "./slots.ts";

export type KeySpec =
  /** Route by the key at this argument index. */
  | { kind: "key"; index: number }
  /** No key: any master can answer. */
  | { kind: "none" }
  /** Every argument from `from` on is a key; split by slot, sum the integer replies. */
  | { kind: "sum"; from: number }
  /** Answers for one node only (SCAN, DBSIZE ...): refused, with `advice`. */
  | { kind: "per-node"; advice: string };

const KEYLESS = new Set([
  "PING",
  "ECHO",
  "INFO",
  "TIME",
  "CONFIG",
  "CLIENT",
  "CLUSTER",
  "COMMAND",
  "HELLO",
  "AUTH",
  "SELECT",
  "SCRIPT",
  "FUNCTION",
  "SLOWLOG",
  "LATENCY",
  "ACL",
  "READONLY",
  "READWRITE",
  "LOLWUT",
  "ROLE",
  "LASTSAVE",
]);

const SUM_KEYS = new Set(["EXISTS", "DEL", "UNLINK", "TOUCH"]);

const PER_NODE = new Set([
  "SCAN",
  "DBSIZE",
  "KEYS",
  "FLUSHDB",
  "FLUSHALL",
  "RANDOMKEY",
  "SUBSCRIBE",
  "PSUBSCRIBE",
  "SSUBSCRIBE",
  "MULTI",
  "EXEC",
  "WATCH",
]);

/** Subcommands whose key is argument 2; any other subcommand of these is keyless. */
const KEY_AFTER_SUBCOMMAND: Record<string, Set<string>> = {
  MEMORY: new Set(["USAGE"]),
  OBJECT: new Set(["ENCODING", "FREQ", "IDLETIME", "REFCOUNT"]),
  XINFO: new Set(["STREAM", "GROUPS", "CONSUMERS"]),
  XGROUP: new Set(["CREATE", "SETID", "DESTROY", "CREATECONSUMER", "DELCONSUMER"]),
};

const SCRIPTS = new Set(["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"]);

export function upperName(arg: CommandArg | undefined): string {
  if (arg === undefined) return "";
  if (typeof arg === "string") return arg.toUpperCase();
  if (arg instanceof Uint8Array) {
    if (arg.length > 32) return "";
    return String.fromCharCode(...arg).toUpperCase();
  }
  return String(arg);
}

/** Where the key of `command` is (see KeySpec). */
export function keySpecOf(command: Command): KeySpec {
  const name = upperName(command[0]);
  if (KEYLESS.has(name) || command.length < 2) return { kind: "none" };
  if (SUM_KEYS.has(name)) return { kind: "sum", from: 1 };
  if (PER_NODE.has(name)) {
    return {
      kind: "per-node",
      advice: `${name} answers for one node of a cluster: send it to each node of masters()`,
    };
  }
  const subcommands = KEY_AFTER_SUBCOMMAND[name];
  if (subcommands) {
    return subcommands.has(upperName(command[1])) && command.length > 2
      ? { kind: "key", index: 2 }
      : { kind: "none" };
  }
  if (SCRIPTS.has(name)) {
    return Number(command[2]) > 0 && command.length > 3 ? { kind: "key", index: 3 } : { kind: "none" };
  }
  return { kind: "key", index: 1 };
}

const encoder = new TextEncoder();

/** A key argument as bytes (numbers and strings as their text, UTF-8). */
export function keyBytes(arg: CommandArg): Uint8Array {
  return arg instanceof Uint8Array ? arg : encoder.encode(String(arg));
}

/** The slot of every key of `command` from argument `from` on, when they share one; else undefined. */
export function sharedSlot(command: Command, from: number): number | undefined {
  const slot = slotOf(keyBytes(command[from]));
  for (let k = from + 1; k < command.length; k++) if (slotOf(keyBytes(command[k])) !== slot) return undefined;
  return slot;
}
