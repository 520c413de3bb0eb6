/**
 * Copies one big key (a `big` record) from the source to the target in windows, so that the client holds a
 * few windows at a time, never the key: GETRANGE -> SET/APPEND, LRANGE -> RPUSH, SSCAN -> SADD,
 * ZSCAN -> ZADD (scores as the server's exact text; -0 scores last), HSCAN -> HSET (+ HPEXPIRETIME ->
 * HPEXPIREAT for field TTLs), XRANGE -> XADD with IDs, then groups and pending entries (big_stream_copy.ts). Writes go into a temporary key in the same slot (temp_key.ts), which gets a
 * day to live after its first write; at the end the key's expiry is read from the source and set on the
 * temporary key (PEXPIREAT, or PERSIST), which is then RENAMEd over the real key: whole or untouched.
 *
 * - At most `MAX_WRITES_IN_FLIGHT` window writes are unanswered at a time while the next window is read.
 * - The copy is not a snapshot: a key changed during the copy may mix old and new members (as a SCAN
 *   does); in live mode its change event copies it again. A key gone from the source before its expiry is
 *   read is deleted on the target.
 * - No argument longer than `maxBulk` is sent (the server would drop the connection): a member that long
 *   fails the key with `too-big`.
 * Rejects only when a connection fails (then nothing counts; the temporary key expires by itself).
 */
import { type Command, ErrorReply, type RespValue, toText } from "../../resp/mod.ts";
import { type KeyFailure, keyFailure } from "../pipeline/failure.ts";
import type { BigRecord } from "../pipeline/record.ts";
import type { Commands } from "../redis/commands.ts";
import { bytesOf, items, pairs, zsetEntries } from "../readers/type_replies.ts";
import { copyBigStream } from "./big_stream_copy.ts";
import { tempKeyFor } from "./temp_key.ts";

export interface BigCopyOptions {
  /** The target's proto-max-bulk-len. */
  maxBulk: number;
  /** The target has HPEXPIREAT; the source has HPEXPIRETIME. */
  targetFieldTtls: boolean;
  sourceFieldTtls: boolean;
  /** The source has PEXPIRETIME (else PTTL + local clock). */
  expireTime: boolean;
  /** Members per window (default 1000) and bytes per string window (default 1 MiB). */
  windowElements?: number;
  windowBytes?: number;
  /** Write the key without its TTL (--no-ttl). */
  noTtl?: boolean;
  /** Stream entries get new IDs, groups are not copied (--no-stream-id). */
  newStreamIds?: boolean;
}

export interface BigCopyOutcome {
  failure?: KeyFailure;
  /** True when the key was gone from the source and was deleted on the target. */
  deleted: boolean;
  bytes: number;
  fieldTtlsDropped: number;
}

const MAX_WRITES_IN_FLIGHT = 4;
const TEMP_TTL_MS = 24 * 3600 * 1000;
const BULK_MARGIN = 1024;

export async function copyBigKey(
  source: Commands,
  target: Commands,
  record: BigRecord,
  options: BigCopyOptions,
): Promise<BigCopyOutcome> {
  const targetKey = record.targetKey ?? record.key;
  const out = new WindowWriter(target, tempKeyFor(targetKey), record.key, targetKey, options.maxBulk);
  const windows = { elements: options.windowElements ?? 1000, bytes: options.windowBytes ?? 1024 * 1024 };
  let fieldTtlsDropped = 0;
  switch (record.type) {
    case "string":
      await copyString(source, record.key, out, Math.min(windows.bytes, options.maxBulk - BULK_MARGIN));
      break;
    case "list":
      for (let at = 0;; at += windows.elements) {
        const reply = items(await source.call("LRANGE", record.key, at, at + windows.elements - 1));
        if (reply.length > 0) await out.write(["RPUSH", out.temp, ...reply.map(bytesOf)]);
        if (reply.length < windows.elements) break;
      }
      break;
    case "set":
      await scan(
        source,
        "SSCAN",
        record.key,
        windows.elements,
        (page) => out.write(["SADD", out.temp, ...page]),
      );
      break;
    case "zset":
      await copyZset(source, record.key, out, windows.elements);
      break;
    case "hash":
      fieldTtlsDropped = await copyHash(source, record.key, out, windows.elements, options);
      break;
    case "stream":
      await copyBigStream(source, record.key, out, windows.elements, options.newStreamIds ?? false);
      break;
  }
  return { ...await out.finish(source, options.expireTime, options.noTtl ?? false), fieldTtlsDropped };
}

async function copyString(source: Commands, key: Uint8Array, out: WindowWriter, window: number) {
  const length = Number(await source.call("STRLEN", key));
  for (let at = 0; at === 0 || at < length; at += window) {
    const part = bytesOf(await source.call("GETRANGE", key, at, at + window - 1));
    await out.write([at === 0 ? "SET" : "APPEND", out.temp, part]);
    if (part.length < window) break;
  }
}

async function copyZset(source: Commands, key: Uint8Array, out: WindowWriter, count: number) {
  const negativeZeros: Uint8Array[] = []; // after the rest, so the target zset is a skiplist by then
  await scan(source, "ZSCAN", key, count, async (page) => {
    const args: Uint8Array[] = [];
    for (const entry of zsetEntries(page)) {
      if (Object.is(entry.score, -0)) negativeZeros.push(entry.scoreText, entry.member);
      else args.push(entry.scoreText, entry.member);
    }
    if (args.length > 0) await out.write(["ZADD", out.temp, ...args]);
  });
  for (let at = 0; at < negativeZeros.length; at += 2 * count) {
    await out.write(["ZADD", out.temp, ...negativeZeros.slice(at, at + 2 * count)]);
  }
}

/** HSCAN windows; field TTLs per window when the source has them (kept, or counted when the target has none). */
async function copyHash(
  source: Commands,
  key: Uint8Array,
  out: WindowWriter,
  count: number,
  options: BigCopyOptions,
): Promise<number> {
  let dropped = 0;
  await scan(source, "HSCAN", key, count, async (page) => {
    await out.write(["HSET", out.temp, ...page]);
    if (!options.sourceFieldTtls) return;
    const fields = pairs(page).map(([field]) => bytesOf(field));
    const times = items(await source.call("HPEXPIRETIME", key, "FIELDS", fields.length, ...fields));
    const byTime = new Map<number, Uint8Array[]>();
    times.forEach((time, i) => {
      const at = Number(time);
      if (at > 0) byTime.set(at, [...byTime.get(at) ?? [], fields[i]]);
    });
    for (const [at, names] of byTime) {
      if (options.targetFieldTtls) {
        await out.write(["HPEXPIREAT", out.temp, at, "FIELDS", names.length, ...names]);
      } else dropped += names.length;
    }
  });
  return dropped;
}

/** Runs `each` on every page of a *SCAN (members as bytes, in the reply's flat order). */
async function scan(
  source: Commands,
  command: string,
  key: Uint8Array,
  count: number,
  each: (page: Uint8Array[]) => Promise<void>,
): Promise<void> {
  let cursor = "0";
  do {
    const [next, page] = await source.call(command, key, cursor, "COUNT", count) as [RespValue, RespValue];
    cursor = toText(next);
    const members = items(page).map(bytesOf);
    if (members.length > 0) await each(members);
  } while (cursor !== "0");
}

/** Window writes into the temporary key, a few in flight; the first refusal fails the key. */
class WindowWriter {
  private inFlight: Promise<void>[] = [];
  private started = false;
  failure: KeyFailure | undefined;
  bytes = 0;

  constructor(
    private readonly target: Commands,
    readonly temp: Uint8Array,
    /** The key on the source (read for its expiry, named in failures) and its name on the target. */
    private readonly key: Uint8Array,
    private readonly targetKey: Uint8Array,
    private readonly maxBulk: number,
  ) {}

  write(command: Command): Promise<void> {
    return this.writeMany([command]);
  }

  /** Several commands as one pipeline (one window of stream entries), a few pipelines in flight. */
  async writeMany(commands: Command[]): Promise<void> {
    if (this.failure) return;
    for (const arg of commands.flat()) {
      if (!(arg instanceof Uint8Array)) continue;
      this.bytes += arg.length;
      if (arg.length > this.maxBulk - BULK_MARGIN) {
        this.failure = {
          key: this.key,
          stage: "write",
          code: "too-big",
          reason:
            `one member is longer (${arg.length} bytes) than the target's proto-max-bulk-len (${this.maxBulk})`,
          advice:
            "raise proto-max-bulk-len on the target (CONFIG SET proto-max-bulk-len), or exclude the key",
        };
        return;
      }
    }
    commands = [...commands];
    if (!this.started) commands.splice(1, 0, ["PEXPIRE", this.temp, TEMP_TTL_MS]);
    this.started = true;
    this.inFlight.push(this.target.pipeline(commands).then((replies) => this.check(replies)));
    if (this.inFlight.length >= MAX_WRITES_IN_FLIGHT) await this.inFlight.shift();
  }

  private check(replies: RespValue[]): void {
    const error = replies.find((reply) => reply instanceof ErrorReply) as ErrorReply | undefined;
    if (error && !this.failure) this.failure = keyFailure(this.key, "write", error);
  }

  /** Waits for the writes, sets the expiry read from the source now, RENAMEs (or cleans up). */
  async finish(
    source: Commands,
    expireTime: boolean,
    noTtl: boolean,
  ): Promise<{ failure?: KeyFailure; deleted: boolean; bytes: number }> {
    await Promise.all(this.inFlight);
    this.inFlight = [];
    const sentAt = Date.now();
    const expiry = Number(await source.call(expireTime ? "PEXPIRETIME" : "PTTL", this.key));
    if (this.failure || expiry === -2 || !this.started) {
      const cleanup: Command[] = [["DEL", this.temp]];
      if (!this.failure) cleanup.push(["DEL", this.targetKey]); // gone from the source
      await this.target.pipeline(cleanup);
      return { failure: this.failure, deleted: !this.failure, bytes: this.bytes };
    }
    const expireAt = expiry < 0 || noTtl ? undefined : expireTime ? expiry : sentAt + expiry;
    const [ttl, renamed] = await this.target.pipeline([
      expireAt === undefined ? ["PERSIST", this.temp] : ["PEXPIREAT", this.temp, expireAt],
      ["RENAME", this.temp, this.targetKey],
    ]);
    if (renamed instanceof ErrorReply) {
      if (expireAt !== undefined && /no such key/i.test(renamed.message)) {
        await this.target.pipeline([["DEL", this.targetKey]]); // expired meanwhile
        return { deleted: false, bytes: this.bytes };
      }
      return { failure: keyFailure(this.key, "write", renamed), deleted: false, bytes: this.bytes };
    }
    if (ttl instanceof ErrorReply) {
      return { failure: keyFailure(this.key, "write", ttl), deleted: false, bytes: 0 };
    }
    return { deleted: false, bytes: this.bytes };
  }
}
