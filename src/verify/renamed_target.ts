/**
 * The target connection as the windowed comparison of one key sees it when `--key-proc` renamed that key:
 * every command whose key argument (the first argument; the second for XINFO's subcommands) is the source
 * key is sent with the target's name instead. Only the key position is renamed, never a member or a field
 * that happens to have the same bytes.
 */
import type { Command } from "../../resp/mod.ts";
import type { Commands } from "../redis/commands.ts";
import { bytesEqual } from "./value_equal.ts";

export function renamedTarget(target: Commands, key: Uint8Array, targetKey: Uint8Array): Commands {
  const rename = (command: Command): Command => {
    const at = typeof command[0] === "string" && command[0].toUpperCase() === "XINFO" ? 2 : 1;
    const arg = command[at];
    if (!(arg instanceof Uint8Array) || !bytesEqual(arg, key)) return command;
    const renamed = [...command];
    renamed[at] = targetKey;
    return renamed;
  };
  return {
    endpoint: target.endpoint,
    pipeline: (commands) => target.pipeline(commands.map(rename)),
    pipelineKeys: (templates, keys) =>
      target.pipelineKeys(templates, keys.map((k) => bytesEqual(k, key) ? targetKey : k)),
    call: (...command) => target.call(...rename(command)),
  };
}
