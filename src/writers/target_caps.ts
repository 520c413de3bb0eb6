/**
 * What a target can take, learned once before a copy so that keys it would refuse go type-based from the
 * first key instead of failing thousands of RESTOREs first:
 *
 * - `rdbVersion`: the newest payload version the target's RESTORE accepts (probed without writing, see
 *   probeRestore). A payload of a newer version would be refused.
 * - `restore`: false when RESTORE is refused (unknown, renamed, not permitted), with its words.
 * - `maxBulk`: `proto-max-bulk-len`. A longer argument makes the server close the connection (a protocol
 *   error, not a per-key refusal), so nothing longer may ever be sent.
 * - `fieldTtls`: HPEXPIREAT exists (Redis 7.4+ hash field TTLs).
 * - `engine`, `version`, `modules`: for advice that names what to install or upgrade.
 *
 * Each part that the server refuses (CONFIG renamed, a read-only replica) stays unknown, and the copy
 * relies on per-key refusals for it. Nothing here throws on a refusal; a lost connection rejects.
 */
import { ErrorReply, RespMap, type RespValue, toText } from "../../resp/mod.ts";
import type { Commands } from "../redis/commands.ts";
import { crc64 } from "../rdb/crc64.ts";
import { rewritePayloadVersion } from "../rdb/version.ts";

/** Redis' default proto-max-bulk-len, assumed where CONFIG GET is refused. */
export const DEFAULT_MAX_BULK = 512 * 1024 * 1024;

export interface TargetCaps {
  engine: "Redis" | "Valkey";
  /** e.g. "7.0.15" or "8.0.1" (Valkey's own version for Valkey). */
  version?: string;
  rdbVersion?: number;
  /** True: RESTORE works; false: refused (see `restoreRefusal`); undefined: not probed. */
  restore?: boolean;
  restoreRefusal?: string;
  maxBulk: number;
  fieldTtls: boolean;
  /** Loaded module names, lower case (undefined where MODULE LIST is refused). */
  modules?: string[];
}

/** Newest RDB version the probe tries (Redis 7.4 and 8 write 12). */
const PROBE_MAX_VERSION = 20;
/** A DUMP payload of the string "riot" (type 0, length 4), RDB version 10, CRC64 in the footer. */
const PROBE_PAYLOAD = withFooter(Uint8Array.of(0, 4, 0x72, 0x69, 0x6f, 0x74, 10, 0));

/** Probe `connection`'s server. Without `restore`, RESTORE is not tried (rdbVersion/restore stay unknown). */
export async function probeTarget(connection: Commands, restore: boolean): Promise<TargetCaps> {
  const [info, bulk, hpexpireat, modules] = await connection.pipeline([
    ["INFO", "server"],
    ["CONFIG", "GET", "proto-max-bulk-len"],
    ["COMMAND", "INFO", "HPEXPIREAT"],
    ["MODULE", "LIST"],
  ]);
  const infoText = info instanceof ErrorReply ? "" : toText(info);
  const valkey = /valkey_version:(\S+)/.exec(infoText);
  const caps: TargetCaps = {
    engine: valkey || /server_name:valkey/.test(infoText) ? "Valkey" : "Redis",
    version: valkey?.[1] ?? /redis_version:(\S+)/.exec(infoText)?.[1],
    maxBulk: configNumber(bulk) ?? DEFAULT_MAX_BULK,
    fieldTtls: Array.isArray(hpexpireat) && hpexpireat.length > 0 && hpexpireat[0] !== null,
    modules: moduleNames(modules),
  };
  if (restore) await probeRestore(connection, caps);
  return caps;
}

/**
 * RESTORE of a tiny string payload stamped with each RDB version from 1 to {@link PROBE_MAX_VERSION}, under
 * a fresh key name with an absolute expiry in 1970: the server checks the command, the user's permission and
 * the payload's version and CRC, then creates nothing (the key is already expired). The newest version it
 * accepts is its RDB version. Nothing is written, so a read-only user or a watched key space sees nothing.
 */
async function probeRestore(connection: Commands, caps: TargetCaps): Promise<void> {
  const suffix = crypto.getRandomValues(new Uint32Array(2)).join("");
  const key = `riot:probe:restore:${suffix}`;
  const versions = Array.from({ length: PROBE_MAX_VERSION }, (_, i) => i + 1);
  const replies = await connection.pipeline(
    versions.map((version) => ["RESTORE", key, 1, rewritePayloadVersion(PROBE_PAYLOAD, version), "ABSTTL"]),
  );
  const accepted = versions.filter((_, i) => !(replies[i] instanceof ErrorReply));
  if (accepted.length > 0) {
    caps.restore = true;
    caps.rdbVersion = accepted[accepted.length - 1];
    return;
  }
  const refusal = replies.find((reply) =>
    reply instanceof ErrorReply && !/payload version/i.test(reply.message)
  );
  if (refusal instanceof ErrorReply && /unknown command|NOPERM|no permissions/i.test(refusal.message)) {
    caps.restore = false;
    caps.restoreRefusal = refusal.message;
  }
}

/** The value of a one-parameter CONFIG GET reply (array in RESP2, map in RESP3), as a number. */
function configNumber(reply: RespValue): number | undefined {
  const flat = Array.isArray(reply) ? reply : reply instanceof RespMap ? reply.entries.flat() : [];
  if (flat.length < 2) return undefined;
  const value = Number(toText(flat[1]));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Names in a MODULE LIST reply (each module a name/value list or map). */
function moduleNames(reply: RespValue): string[] | undefined {
  if (!Array.isArray(reply)) return undefined;
  const names: string[] = [];
  for (const module of reply) {
    const flat = Array.isArray(module) ? module : module instanceof RespMap ? module.entries.flat() : [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      if (toText(flat[i]) === "name") names.push(toText(flat[i + 1]).toLowerCase());
    }
  }
  return names;
}

/** "Redis 7.0.15", "Valkey 8.0.1": the target's name for messages. */
export function engineName(caps: TargetCaps): string {
  return caps.version ? `${caps.engine} ${caps.version}` : caps.engine;
}

function withFooter(head: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + 8);
  out.set(head);
  new DataView(out.buffer).setBigUint64(head.length, crc64(head), true);
  return out;
}
