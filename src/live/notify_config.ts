/**
 * Keyspace notifications on the source: check that the flags live replication needs are on, set them when
 * allowed (and give back the old value to restore on exit), or prove with a probe that events arrive
 * where CONFIG is refused (managed services).
 *
 * Needed: `K` (keyspace channel, which carries the key in the channel name) and every class of `A`
 * (g $ l s h z x e t d); `m` and `n` are not needed.
 */
import { ErrorReply, toText } from "../../resp/mod.ts";
import type { Commands } from "../redis/commands.ts";

const NEEDED = ["K", "g", "$", "l", "s", "h", "z", "x", "e", "t", "d"];

export type NotifyCheck =
  | { status: "ok"; current: string }
  | { status: "missing"; current: string; missing: string[] }
  | { status: "refused"; error: string };

/** The flags in `current` expanded (A = g$lshzxetd). */
function expand(flags: string): Set<string> {
  const out = new Set(flags.split(""));
  if (out.has("A")) { for (const flag of "g$lshzxetd") out.add(flag); }
  return out;
}

export async function checkNotifications(connection: Commands): Promise<NotifyCheck> {
  try {
    const reply = await connection.call("CONFIG", "GET", "notify-keyspace-events");
    const entries = Array.isArray(reply) ? reply : (reply as { entries?: unknown[][] }).entries?.flat() ?? [];
    const current = entries.length >= 2 ? toText(entries[1] as Uint8Array) : "";
    const have = expand(current);
    const missing = NEEDED.filter((flag) => !have.has(flag));
    return missing.length === 0 ? { status: "ok", current } : { status: "missing", current, missing };
  } catch (error) {
    if (error instanceof ErrorReply) return { status: "refused", error: error.message };
    throw error;
  }
}

/** Turn the needed flags on; returns the previous value (to restore). */
export async function enableNotifications(connection: Commands, current: string): Promise<string> {
  const merged = [...new Set([...current.split(""), "K", "A"])].join("");
  await connection.call("CONFIG", "SET", "notify-keyspace-events", merged);
  return current;
}

export async function restoreNotifications(connection: Commands, previous: string): Promise<void> {
  await connection.call("CONFIG", "SET", "notify-keyspace-events", previous);
}

/** The one line that says how to turn notifications on. */
export function notificationsAdvice(endpoint: string, current: string, missing: string[]): string {
  return `Keyspace notifications on ${endpoint} lack ${
    missing.join("")
  } (notify-keyspace-events is '${current}'): ` +
    `run CONFIG SET notify-keyspace-events KA on the source (or set it in redis.conf or your provider's ` +
    `parameter group), or pass --config-set to let riot set it and restore it on exit`;
}
