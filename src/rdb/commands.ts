/**
 * A decoded value as the write commands that rebuild it on any server that has the type's commands, so a
 * key can be copied where RESTORE would refuse the payload (older server, other engine).
 *
 * Contract:
 * - Commands write only `options.key` (a temporary name: the caller RENAMEs it over the real key once all
 *   commands succeeded, and deletes it on failure). The key must not exist when the first command runs.
 * - They are produced lazily, in order, and must be sent in that order (they may be pipelined). Given an
 *   opened payload (`openPayload`), members are read from the payload window by window as commands are
 *   pulled; a corrupt payload then throws from a pull, after earlier windows were already produced.
 * - Collections go in windows: no command carries more than `maxElementsPerCommand` elements (a zset
 *   element is score + member, a hash element field + value) nor, past its first element, more than
 *   `maxBytesPerCommand` bytes of data. A string longer than `maxBytesPerCommand` is SET then APPENDed.
 * - The key's own TTL (`expireAt`, absolute Unix ms) is set last with PEXPIREAT; RENAME keeps it.
 *
 * Streams (all of it works on Redis 7.0): XADD of every entry with its explicit ID; XSETID for the last ID,
 * entries-added and max-deleted ID; per group XGROUP CREATE with ENTRIESREAD, XGROUP CREATECONSUMER, and one
 * `XCLAIM ... TIME t RETRYCOUNT n FORCE JUSTID` per pending entry. A pending entry whose message was deleted
 * cannot be claimed, so a placeholder entry is added under its ID first and removed after the claims (XTRIM
 * for those before the first live entry, as trimming removed them, XDEL for the others); XSETID then runs
 * again to restore the max-deleted ID. Consumers' seen and active times cannot be set by any command; they
 * become the time of the copy.
 *
 * Targets: every command here exists on Redis 7.0+ and Valkey 7.2+, except HPEXPIREAT (hash field TTLs,
 * Redis 7.4+; not in Valkey 8), which only a hash with field TTLs produces.
 */
import type { Command, CommandArg } from "../../resp/encoder.ts";
import { compareIds, idKey } from "./stream.ts";
import type {
  HashField,
  RdbValueStream,
  StreamEntry,
  StreamGroup,
  StreamId,
  StreamMetadata,
  StreamValueStream,
  ZsetEntry,
} from "./value.ts";

export interface WriteOptions {
  /** The temporary key every command writes. */
  key: Uint8Array;
  /** Most elements per command. Default 512. */
  maxElementsPerCommand?: number;
  /** Most data bytes per command (one element always fits, however big). Default 1 MiB. */
  maxBytesPerCommand?: number;
  /** The key's absolute expiry in Unix ms, if it has one. */
  expireAt?: number;
  /**
   * Streams get new IDs from the target (`XADD key * ...`, --no-stream-id): entries keep their order and
   * fields; the last ID, entries-added, max-deleted ID and consumer groups are not written (they name the
   * source's IDs, which the target does not have).
   */
  newStreamIds?: boolean;
}

const DEFAULT_MAX_ELEMENTS = 512;
const DEFAULT_MAX_BYTES = 1024 * 1024;
/** Group name used only to create an empty stream (XGROUP CREATE ... MKSTREAM), destroyed at once. */
const EMPTY_STREAM_GROUP = "riot-empty-stream";
/** A placeholder entry's field and value (see `withPlaceholders`). */
export const PLACEHOLDER_FIELD = new Uint8Array(0);

interface Window {
  maxElements: number;
  maxBytes: number;
}

/** The commands that rebuild `value` under `options.key`, lazily and in order (see the contract above). */
export function* writeCommands(value: RdbValueStream, options: WriteOptions): Generator<Command> {
  const window: Window = {
    maxElements: options.maxElementsPerCommand ?? DEFAULT_MAX_ELEMENTS,
    maxBytes: options.maxBytesPerCommand ?? DEFAULT_MAX_BYTES,
  };
  const key = options.key;
  switch (value.type) {
    case "string":
      yield* stringCommands(key, value.value, window.maxBytes);
      break;
    case "list":
      yield* windowed(["RPUSH", key], value.elements, addOne, window);
      break;
    case "set":
      yield* windowed(["SADD", key], value.members, addOne, window);
      break;
    case "zset": {
      // -0 scores go last: a zset still small enough to be a listpack stores -0 as 0, so a big zset must
      // already be a skiplist when they arrive (a small one ends as a listpack anyway, as on the source).
      const negativeZeros: ZsetEntry[] = [];
      const rest = filtered(value.entries, (e) => !Object.is(e.score, -0), negativeZeros);
      yield* windowed(["ZADD", key], rest, addScoreAndMember, window);
      yield* windowed(["ZADD", key], negativeZeros, addScoreAndMember, window);
      break;
    }
    case "hash": {
      const withTtl: HashField[] = []; // the members iterate once: keep those HPEXPIREAT needs
      yield* windowed(["HSET", key], value.fields, (f, command) => {
        if (f.expireAt !== undefined) withTtl.push(f);
        command.push(f.field, f.value);
        return f.field.length + f.value.length;
      }, window);
      yield* fieldExpiryCommands(key, withTtl, window);
      break;
    }
    case "stream":
      yield* options.newStreamIds ? streamWithNewIds(key, value) : streamCommands(key, value, window);
      break;
  }
  if (options.expireAt !== undefined) yield ["PEXPIREAT", key, options.expireAt];
}

/**
 * The one command that rebuilds the whole of `value` under `options.key`, when one is enough: the first
 * command `writeCommands` would yield, built without its generators. A string of at most
 * `maxBytesPerCommand` bytes, or a list, set, zset or hash whose members fit one window, without -0 scores
 * or field TTLs. Else undefined, after pulling at most one window's members: the caller opens the value
 * again and uses `writeCommands`. Ignores `expireAt` (the caller sets the TTL). Streams always get
 * undefined.
 */
export function singleCommand(value: RdbValueStream, options: WriteOptions): Command | undefined {
  const maxElements = options.maxElementsPerCommand ?? DEFAULT_MAX_ELEMENTS;
  const maxBytes = options.maxBytesPerCommand ?? DEFAULT_MAX_BYTES;
  const key = options.key;
  switch (value.type) {
    case "string":
      return value.value.length <= Math.max(1, maxBytes) ? ["SET", key, value.value] : undefined;
    case "list":
      return oneWindow(["RPUSH", key], value.elements, maxElements, maxBytes);
    case "set":
      return oneWindow(["SADD", key], value.members, maxElements, maxBytes);
    case "zset": {
      const command: CommandArg[] = ["ZADD", key];
      let elements = 0;
      let bytes = 0;
      for (const entry of value.entries) {
        if (Object.is(entry.score, -0) || ++elements > maxElements) return undefined;
        command.push(entry.scoreText, entry.member);
        bytes += entry.scoreText.length + entry.member.length;
      }
      return elements > 0 && (elements === 1 || bytes <= maxBytes) ? command : undefined;
    }
    case "hash": {
      const command: CommandArg[] = ["HSET", key];
      let elements = 0;
      let bytes = 0;
      for (const field of value.fields) {
        if (field.expireAt !== undefined || ++elements > maxElements) return undefined;
        command.push(field.field, field.value);
        bytes += field.field.length + field.value.length;
      }
      return elements > 0 && (elements === 1 || bytes <= maxBytes) ? command : undefined;
    }
    default:
      return undefined;
  }
}

/** `prefix` and every member, when they are at least one and fit one window (as `windowed` counts). */
function oneWindow(
  prefix: Command,
  members: Iterable<Uint8Array>,
  maxElements: number,
  maxBytes: number,
): Command | undefined {
  const command: CommandArg[] = [...prefix];
  let bytes = 0;
  for (const member of members) {
    if (command.length - prefix.length >= maxElements) return undefined;
    command.push(member);
    bytes += member.length;
  }
  const elements = command.length - prefix.length;
  return elements > 0 && (elements === 1 || bytes <= maxBytes) ? command : undefined;
}

/** The items `keep` accepts, as they are pulled; the others are collected in `aside`. */
function* filtered<T>(items: Iterable<T>, keep: (item: T) => boolean, aside: T[]): Generator<T> {
  for (const item of items) {
    if (keep(item)) yield item;
    else aside.push(item);
  }
}

function* stringCommands(key: Uint8Array, value: Uint8Array, maxBytes: number): Generator<Command> {
  const chunk = Math.max(1, maxBytes);
  yield ["SET", key, value.subarray(0, chunk)];
  for (let at = chunk; at < value.length; at += chunk) yield ["APPEND", key, value.subarray(at, at + chunk)];
}

/**
 * `prefix` followed by the args of as many items as fit the window, once per window. `addArgs` appends an
 * item's args to the command being built and returns their data bytes (no array per item: an item that
 * does not fit is moved to the next command).
 */
function* windowed<T>(
  prefix: Command,
  items: Iterable<T>,
  addArgs: (item: T, command: CommandArg[]) => number,
  window: Window,
): Generator<Command> {
  let command: CommandArg[] = [...prefix];
  let elements = 0;
  let bytes = 0;
  for (const item of items) {
    const before = command.length;
    const size = addArgs(item, command);
    if (elements > 0 && (elements >= window.maxElements || bytes + size > window.maxBytes)) {
      const moved = command.splice(before);
      yield command;
      command = [...prefix, ...moved];
      elements = 0;
      bytes = 0;
    }
    elements++;
    bytes += size;
  }
  if (elements > 0) yield command;
}

/** One argument per item (list elements, set members, field names, encoded IDs). */
function addOne(item: Uint8Array, command: CommandArg[]): number {
  command.push(item);
  return item.length;
}

function addScoreAndMember(entry: ZsetEntry, command: CommandArg[]): number {
  command.push(entry.scoreText, entry.member);
  return entry.scoreText.length + entry.member.length;
}

/** HPEXPIREAT per distinct expiry, its fields in windows (Redis 7.4+ only; a value without TTLs emits none). */
function* fieldExpiryCommands(
  key: Uint8Array,
  fields: readonly HashField[],
  window: Window,
): Generator<Command> {
  const byExpiry = new Map<number, Uint8Array[]>();
  for (const { field, expireAt } of fields) {
    if (expireAt === undefined) continue;
    const group = byExpiry.get(expireAt);
    if (group) group.push(field);
    else byExpiry.set(expireAt, [field]);
  }
  for (const [expireAt, names] of byExpiry) {
    for (const command of windowed([], names, addOne, window)) {
      yield ["HPEXPIREAT", key, expireAt, "FIELDS", command.length, ...command];
    }
  }
}

function* streamCommands(key: Uint8Array, stream: StreamValueStream, window: Window): Generator<Command> {
  const placeholders: StreamId[] = [];
  let added = 0;
  let firstLive: StreamId | undefined;
  for (const entry of withPlaceholders(stream, placeholders)) {
    added++;
    if (!firstLive && placeholders.at(-1) !== entry.id) firstLive = entry.id; // not the placeholder just made
    yield ["XADD", key, formatId(entry.id), ...entry.fieldsAndValues];
  }
  if (added === 0) yield* emptyStreamCommands(key);
  yield* streamTailCommands(key, stream, placeholders, firstLive, window);
}

/** An empty stream under `key` (XGROUP CREATE ... MKSTREAM with a group destroyed at once). */
export function* emptyStreamCommands(key: Uint8Array): Generator<Command> {
  yield ["XGROUP", "CREATE", key, EMPTY_STREAM_GROUP, "0", "MKSTREAM"];
  yield ["XGROUP", "DESTROY", key, EMPTY_STREAM_GROUP];
}

/**
 * What follows a stream's entries (written with their IDs, with a placeholder entry for every pending ID
 * that has no live entry, see `withPlaceholders`): XSETID, the groups with consumers and claimed pending
 * entries, then the placeholders removed and XSETID again. `firstLive` is the first entry that is not a
 * placeholder. Shared with the windowed copy of big streams (src/writers/big_stream_copy.ts).
 */
export function* streamTailCommands(
  key: Uint8Array,
  stream: StreamMetadata,
  placeholders: StreamId[],
  firstLive: StreamId | undefined,
  window: Partial<Window> = {},
): Generator<Command> {
  const setId = xsetid(key, stream);
  yield setId;
  for (const group of stream.groups) yield* groupCommands(key, group);
  if (placeholders.length === 0) return;
  const full = {
    maxElements: window.maxElements ?? DEFAULT_MAX_ELEMENTS,
    maxBytes: window.maxBytes ?? DEFAULT_MAX_BYTES,
  };
  yield* removePlaceholders(key, placeholders, firstLive, full);
  yield setId;
}

/** The entries in order, each under an ID the target picks; an empty stream stays an empty stream. */
function* streamWithNewIds(key: Uint8Array, stream: StreamValueStream): Generator<Command> {
  let added = 0;
  for (const entry of stream.entries) {
    added++;
    yield ["XADD", key, "*", ...entry.fieldsAndValues];
  }
  if (added === 0) yield* emptyStreamCommands(key);
}

/**
 * Placeholders before the first live entry stand for trimmed messages: XTRIM removes them without touching
 * the max-deleted ID (as trimming did on the source). Later ones stand for XDELed messages: XDEL removes
 * them, and the XSETID after restores the source's max-deleted ID exactly.
 */
function* removePlaceholders(
  key: Uint8Array,
  placeholders: StreamId[],
  firstLive: StreamId | undefined,
  window: Window,
): Generator<Command> {
  const trimmed = placeholders.filter((id) => !firstLive || compareIds(id, firstLive) < 0);
  const deleted = placeholders.slice(trimmed.length);
  if (trimmed.length > 0) {
    yield firstLive ? ["XTRIM", key, "MINID", "=", formatId(firstLive)] : ["XTRIM", key, "MAXLEN", "=", "0"];
  }
  yield* windowed(["XDEL", key], deleted, (id, command) => addOne(asciiBytes(formatId(id)), command), window);
}

/**
 * The stream's entries in ID order with a placeholder entry for every pending ID (of any group) that has no
 * live entry, so XCLAIM can claim it; those IDs are appended to `placeholders` (for the XDEL after). A
 * merge of two sorted sequences: entries are pulled one by one, never all held.
 */
function* withPlaceholders(stream: StreamValueStream, placeholders: StreamId[]): Generator<StreamEntry> {
  const pending = pendingIds(stream.groups);
  let p = 0;
  const placeholder = (id: StreamId): StreamEntry => {
    placeholders.push(id);
    return { id, fieldsAndValues: [PLACEHOLDER_FIELD, PLACEHOLDER_FIELD] };
  };
  for (const entry of stream.entries) {
    while (p < pending.length && compareIds(pending[p], entry.id) < 0) yield placeholder(pending[p++]);
    if (p < pending.length && compareIds(pending[p], entry.id) === 0) p++;
    yield entry;
  }
  while (p < pending.length) yield placeholder(pending[p++]);
}

/** Every pending ID of every group, sorted, each once. */
export function pendingIds(groups: readonly StreamGroup[]): StreamId[] {
  const unique = new Map<string, StreamId>();
  for (const group of groups) for (const { id } of group.pending) unique.set(idKey(id), id);
  return [...unique.values()].sort(compareIds);
}

function xsetid(key: Uint8Array, stream: StreamMetadata): Command {
  const command: Command[number][] = ["XSETID", key, formatId(stream.lastId)];
  if (stream.entriesAdded !== undefined) command.push("ENTRIESADDED", stream.entriesAdded);
  if (stream.maxDeletedId !== undefined) command.push("MAXDELETEDID", formatId(stream.maxDeletedId));
  return command;
}

function* groupCommands(key: Uint8Array, group: StreamGroup): Generator<Command> {
  const create: Command[number][] = ["XGROUP", "CREATE", key, group.name, formatId(group.lastId)];
  if (group.entriesRead !== undefined) create.push("ENTRIESREAD", group.entriesRead);
  yield create;
  for (const consumer of group.consumers) yield ["XGROUP", "CREATECONSUMER", key, group.name, consumer.name];
  for (const pending of group.pending) {
    if (!pending.consumer) continue;
    yield [
      "XCLAIM",
      key,
      group.name,
      pending.consumer,
      "0",
      formatId(pending.id),
      "TIME",
      pending.deliveryTime,
      "RETRYCOUNT",
      pending.deliveryCount,
      "FORCE",
      "JUSTID",
    ];
  }
}

export function formatId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

const ascii = new TextEncoder();
function asciiBytes(text: string): Uint8Array {
  return ascii.encode(text);
}
