/**
 * The windowed copy of one big stream (a `big` record of type stream, see big_key_copy.ts): entries are read
 * with XRANGE, `window` at a time from the last ID read, and each window is written as one pipeline of XADDs
 * with their IDs into the temporary key, so the client holds one window of entries, never the stream.
 *
 * Groups are read apart, before the entries: XINFO STREAM FULL with a COUNT of one window (last ID,
 * entries-added, max-deleted ID, groups, consumers, pending entries with their delivery times), and for a
 * group with more pending entries than a window, XPENDING in windows; the pending IDs (not their messages)
 * are held for the copy. A pending ID without a live entry
 * gets a placeholder entry so that XCLAIM can claim it, and the tail (src/rdb/commands.ts,
 * streamTailCommands) writes XSETID, the groups, consumers and claims, then removes the placeholders:
 * the same commands as the copy of a whole stream. Past the first window of a group's pending entries, a
 * delivery time is the read's clock minus the entry's idle time (XPENDING gives no absolute time).
 *
 * With `newIds` (--no-stream-id): `XADD key * ...` per entry, no groups and no XSETID.
 * Like every big-key copy this is not a snapshot: entries added during the copy may or may not be in it.
 */
import type { Command, RespValue } from "../../resp/mod.ts";
import { toText } from "../../resp/mod.ts";
import type { Commands } from "../redis/commands.ts";
import {
  emptyStreamCommands,
  formatId,
  pendingIds,
  PLACEHOLDER_FIELD,
  streamTailCommands,
} from "../rdb/commands.ts";
import { compareIds } from "../rdb/stream.ts";
import type { PendingEntry, StreamGroup, StreamId, StreamMetadata } from "../rdb/value.ts";
import { bytesOf, fieldsOf, items, parseId, streamEntries, streamMetadata } from "../readers/type_replies.ts";

/** Where the windows go: the temporary key, and a pipeline of commands per window. */
export interface StreamSink {
  readonly temp: Uint8Array;
  writeMany(commands: Command[]): Promise<void>;
}

export async function copyBigStream(
  source: Commands,
  key: Uint8Array,
  out: StreamSink,
  window: number,
  newIds: boolean,
): Promise<void> {
  const metadata = newIds ? undefined : await readStreamMetadata(source, key, window);
  const pending = metadata ? pendingIds(metadata.groups) : [];
  const placeholders: StreamId[] = [];
  let firstLive: StreamId | undefined;
  let next = 0;
  let written = 0;
  const placeholder = (id: StreamId): Command => {
    placeholders.push(id);
    return ["XADD", out.temp, formatId(id), PLACEHOLDER_FIELD, PLACEHOLDER_FIELD];
  };
  for (let start = "-";;) {
    const entries = streamEntries(await source.call("XRANGE", key, start, "+", "COUNT", window));
    const commands: Command[] = [];
    for (const entry of entries) {
      while (next < pending.length && compareIds(pending[next], entry.id) < 0) {
        commands.push(placeholder(pending[next++]));
      }
      if (next < pending.length && compareIds(pending[next], entry.id) === 0) next++;
      firstLive ??= entry.id;
      commands.push(["XADD", out.temp, newIds ? "*" : formatId(entry.id), ...entry.fieldsAndValues]);
    }
    if (commands.length > 0) await out.writeMany(commands);
    written += commands.length;
    if (entries.length < window) break;
    start = `(${formatId(entries[entries.length - 1].id)}`;
  }
  const tail: Command[] = [];
  while (next < pending.length) tail.push(placeholder(pending[next++]));
  if (written + tail.length === 0) tail.push(...emptyStreamCommands(out.temp));
  if (metadata) tail.push(...streamTailCommands(out.temp, metadata, placeholders, firstLive));
  for (let at = 0; at < tail.length; at += window) await out.writeMany(tail.slice(at, at + window));
}

/**
 * The stream's metadata and groups without its entries: `XINFO STREAM key FULL COUNT window` gives them
 * with each group's first `window` pending entries (exact delivery times) and one window of entries (not
 * used); a group with more pending entries than that (XINFO GROUPS says how many) has them read again
 * with XPENDING in windows.
 */
async function readStreamMetadata(
  source: Commands,
  key: Uint8Array,
  window: number,
): Promise<StreamMetadata> {
  const { entries: _unused, ...metadata } = streamMetadata(
    await source.call("XINFO", "STREAM", key, "FULL", "COUNT", window),
  );
  const pendingCounts = new Map<string, number>();
  for (const reply of items(await source.call("XINFO", "GROUPS", key))) {
    const info = fieldsOf(reply);
    pendingCounts.set(toText(info.get("name")!), Number(info.get("pending")));
  }
  const groups: StreamGroup[] = [];
  for (const group of metadata.groups) {
    const count = pendingCounts.get(toText(group.name)) ?? 0;
    groups.push(
      count > group.pending.length
        ? { ...group, pending: await readPending(source, key, group.name, window) }
        : group,
    );
  }
  return { ...metadata, groups };
}

/** A group's whole pending entries list, XPENDING `window` at a time (delivery time: now minus idle). */
async function readPending(
  source: Commands,
  key: Uint8Array,
  group: Uint8Array,
  window: number,
): Promise<PendingEntry[]> {
  const pending: PendingEntry[] = [];
  for (let start = "-";;) {
    const sentAt = Date.now();
    const page = items(await source.call("XPENDING", key, group, start, "+", window));
    for (const entry of page) {
      const [id, consumer, idle, count] = entry as RespValue[];
      pending.push({
        id: parseId(id),
        consumer: bytesOf(consumer),
        deliveryTime: BigInt(sentAt - Number(idle)),
        deliveryCount: BigInt(Number(count)),
      });
    }
    if (page.length < window) return pending;
    start = `(${toText((page[page.length - 1] as RespValue[])[0])}`;
  }
}
