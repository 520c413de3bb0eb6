/**
 * Type-based writes of whole keys: each value is rebuilt with ordinary write commands (src/rdb/commands.ts)
 * under a temporary key in the same slot (temp_key.ts), then RENAMEd over its real name, so the real key
 * ends up whole or untouched and no reader ever sees it half-written.
 *
 * - Phase 1: the commands of every item, pipelined in chunks of at most `CHUNK_BYTES` (or
 *   `CHUNK_COMMANDS`) so that a big value never sits whole in an encoded buffer. Right after an item's
 *   first command, PEXPIRE gives the temporary key a day to live, so one left behind by a crash or a lost
 *   connection goes away by itself; the item's own expiry (PEXPIREAT) or PERSIST replaces it at the end.
 *   An item written by a single command (most small keys: one SET, RPUSH, SADD, ZADD or HSET) is queued
 *   as that command, its PEXPIREAT if it has one, and its RENAME, always in the same chunk: a command
 *   applies whole or not at all, so the RENAME installs the whole value or finds nothing to rename, and
 *   the temporary key never waits for a later round trip (so it needs no safety TTL).
 * - Phase 2: one round trip: RENAME for every other item whose commands all succeeded, DEL of the
 *   temporary key for the others. An item whose expiry passed before it was written, or before its
 *   RENAME, becomes DEL of the real key.
 * - No argument longer than `maxBulk` (the target's proto-max-bulk-len) is ever sent: the server would
 *   close the connection. Strings are split below it (SET + APPEND); one member longer than it fails its
 *   key with code `too-big`.
 * - Without `fieldTtls` (no HPEXPIREAT on the target), hash field TTLs are left out and counted per item.
 *
 * Outcomes are per item; the call rejects only when the connection fails (then nothing counts, and the
 * whole call may be sent again: every item gets fresh temporary keys).
 */
import { type Command, ErrorReply } from "../../resp/mod.ts";
import { type KeyFailure, keyFailure } from "../pipeline/failure.ts";
import { NO_EXPIRY } from "../pipeline/record.ts";
import type { Commands } from "../redis/commands.ts";
import { singleCommand, writeCommands } from "../rdb/commands.ts";
import { PayloadError } from "../rdb/errors.ts";
import type { RdbValueStream } from "../rdb/value.ts";
import { tempKeyFor } from "./temp_key.ts";

export interface TypedItem {
  /** The real key on the target. */
  key: Uint8Array;
  /** Absolute expiry (unix ms) or NO_EXPIRY. */
  expireAt: number;
  /** The value, opened afresh for each attempt (may throw a PayloadError). */
  open(): RdbValueStream;
}

export interface TypedOutcome {
  /** Set when the key was not written (the real key is untouched). */
  failure?: KeyFailure;
  /** Hash field TTLs left out because the target has no HPEXPIREAT. */
  fieldTtlsDropped: number;
}

export interface TypedWriteOptions {
  /** The target's proto-max-bulk-len. */
  maxBulk: number;
  /** The target has HPEXPIREAT. */
  fieldTtls: boolean;
  /** Most data bytes per command (default 1 MiB, always below maxBulk). */
  windowBytes?: number;
  /** Most elements per command (default 512). */
  windowElements?: number;
  /** Streams get new IDs on the target (--no-stream-id; see src/rdb/commands.ts). */
  newStreamIds?: boolean;
}

const CHUNK_BYTES = 4 * 1024 * 1024;
const CHUNK_COMMANDS = 4096;
/** A day, as the text PEXPIRE gets (made once, not per key). */
const TEMP_TTL_MS = String(24 * 3600 * 1000);
/** Room for the command name and key beside a data argument. */
const BULK_MARGIN = 1024;

interface ItemState {
  item: TypedItem;
  temp: Uint8Array;
  sent: boolean;
  /** RENAMEd in phase 1, right after its only command (see `endSingle`). */
  renamed: boolean;
  expired: boolean;
  failure?: KeyFailure;
  fieldTtlsDropped: number;
}

/** Writes `items` type-based on `connection` (see the contract above); one outcome per item, in order. */
export async function writeTyped(
  connection: Commands,
  items: readonly TypedItem[],
  options: TypedWriteOptions,
): Promise<TypedOutcome[]> {
  const states: ItemState[] = items.map((item) => ({
    item,
    temp: tempKeyFor(item.key),
    sent: false,
    renamed: false,
    expired: false,
    fieldTtlsDropped: 0,
  }));
  const chunk = new Chunk(connection, states);
  for (let index = 0; index < states.length; index++) {
    await writeItem(chunk, index, states[index], options);
  }
  await chunk.flush();
  await finish(connection, states);
  return states.map((state) => ({ failure: state.failure, fieldTtlsDropped: state.fieldTtlsDropped }));
}

async function writeItem(chunk: Chunk, index: number, state: ItemState, options: TypedWriteOptions) {
  const { item, temp } = state;
  if (item.expireAt !== NO_EXPIRY && item.expireAt <= Date.now()) {
    state.expired = true;
    return;
  }
  const windowBytes = Math.max(
    1,
    Math.min(options.windowBytes ?? 1024 * 1024, options.maxBulk - BULK_MARGIN),
  );
  try {
    const write = {
      key: temp,
      maxBytesPerCommand: windowBytes,
      maxElementsPerCommand: options.windowElements,
      newStreamIds: options.newStreamIds,
    };
    // Most small keys: their one command, without the generators (the value is opened again otherwise).
    const single = singleCommand(item.open(), write);
    if (single !== undefined) {
      const tooLong = longestArg(single);
      if (tooLong > options.maxBulk - BULK_MARGIN) state.failure = tooBig(item.key, tooLong, options.maxBulk);
      else if (endSingle(chunk, index, state, single)) await chunk.flush();
      return;
    }
    const commands = writeCommands(item.open(), write);
    // Each command is held back one step: only once the value has no more does the last one say whether
    // it was the only one (see `endSingle`).
    let held: Command | undefined;
    for (const command of commands) {
      if (state.failure) return; // refused in an earlier chunk: the rest is not sent
      if (!options.fieldTtls && command[0] === "HPEXPIREAT") {
        state.fieldTtlsDropped += Number(command[4]);
        continue;
      }
      const tooLong = longestArg(command);
      if (tooLong > options.maxBulk - BULK_MARGIN) {
        state.failure = tooBig(item.key, tooLong, options.maxBulk);
        return;
      }
      if (held !== undefined && addCommand(chunk, index, state, held)) await chunk.flush();
      held = command;
    }
    if (held === undefined || state.failure) return;
    if (state.sent) {
      const full = addCommand(chunk, index, state, held); // both queued, whatever the first says
      if (endMany(chunk, index, state) || full) await chunk.flush();
    } else if (endSingle(chunk, index, state, held)) await chunk.flush();
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    state.failure = undecodable(item.key, error);
  }
}

/** Queues one of several commands of an item; the first is followed by the safety TTL. True when full. */
function addCommand(chunk: Chunk, index: number, state: ItemState, command: Command): boolean {
  const first = !state.sent;
  state.sent = true;
  const full = chunk.add(command, index);
  return (first && chunk.add(["PEXPIRE", state.temp, TEMP_TTL_MS], index)) || full;
}

/** After the last of several commands: the item's own expiry replaces the safety TTL. True when full. */
function endMany(chunk: Chunk, index: number, state: ItemState): boolean {
  const { item, temp } = state;
  if (item.expireAt === NO_EXPIRY) return chunk.add(["PERSIST", temp], index);
  return chunk.add(["PEXPIREAT", temp, item.expireAt], index);
}

/**
 * An item written by one command: that command, its expiry, and RENAME, queued together (so they go in one
 * write, as a command and its safety TTL would). A command either applies whole or not at all, so the
 * RENAME installs the whole value or finds no temporary key (and the real key stays untouched): no safety
 * TTL, no PERSIST, nothing left for phase 2. True when full.
 */
function endSingle(chunk: Chunk, index: number, state: ItemState, command: Command): boolean {
  const { item, temp } = state;
  state.sent = true;
  state.renamed = true;
  let full = chunk.add(command, index);
  if (item.expireAt !== NO_EXPIRY) full = chunk.add(["PEXPIREAT", temp, item.expireAt], index) || full;
  return chunk.add(["RENAME", temp, item.key], index) || full;
}

/** Phase 2: RENAME what was written whole, DEL what was not, DEL real keys whose expiry passed. */
async function finish(connection: Commands, states: ItemState[]): Promise<void> {
  const commands: Command[] = [];
  const owners: ItemState[] = [];
  for (const state of states) {
    if (state.expired) commands.push(["DEL", state.item.key]);
    else if (state.failure) {
      if (!state.sent) continue;
      commands.push(["DEL", state.temp]);
    } else if (state.renamed) continue;
    else commands.push(["RENAME", state.temp, state.item.key]);
    owners.push(state);
  }
  if (commands.length === 0) return; // every item renamed in phase 1 (or never sent)
  const replies = await connection.pipeline(commands);
  const expiredMeanwhile: Command[] = [];
  replies.forEach((reply, i) => {
    const state = owners[i];
    if (!(reply instanceof ErrorReply) || state.failure) return;
    // The expiry passed between PEXPIREAT and RENAME: the temporary key is gone, and so must the real key be.
    if (state.item.expireAt !== NO_EXPIRY && /no such key/i.test(reply.message)) {
      expiredMeanwhile.push(["DEL", state.item.key]);
    } else state.failure = keyFailure(state.item.key, "write", reply);
  });
  if (expiredMeanwhile.length > 0) await connection.pipeline(expiredMeanwhile);
}

/** Commands waiting to be sent, with the item each belongs to; sent when full and at the end. */
class Chunk {
  private commands: Command[] = [];
  private owners: number[] = [];
  private bytes = 0;

  constructor(private readonly connection: Commands, private readonly states: ItemState[]) {}

  /** Queues `command`; true when the chunk is full and the caller must `flush` before adding more. */
  add(command: Command, owner: number): boolean {
    this.commands.push(command);
    this.owners.push(owner);
    let bytes = this.bytes;
    for (let i = 0; i < command.length; i++) {
      const arg = command[i];
      bytes += arg instanceof Uint8Array ? arg.length : 16;
    }
    this.bytes = bytes;
    return bytes >= CHUNK_BYTES || this.commands.length >= CHUNK_COMMANDS;
  }

  /** Sends what is waiting; the first refusal of each item becomes its failure. */
  async flush(): Promise<void> {
    if (this.commands.length === 0) return;
    const [commands, owners] = [this.commands, this.owners];
    this.commands = [];
    this.owners = [];
    this.bytes = 0;
    const replies = await this.connection.pipeline(commands);
    replies.forEach((reply, i) => {
      const state = this.states[owners[i]];
      if (!(reply instanceof ErrorReply) || state.failure || state.expired) return;
      // A phase-1 RENAME that finds no key, after its command and PEXPIREAT succeeded: the expiry passed
      // meanwhile, so the real key goes too (phase 2 deletes it).
      if (
        commands[i][0] === "RENAME" && state.item.expireAt !== NO_EXPIRY && /no such key/i.test(reply.message)
      ) {
        state.expired = true;
      } else state.failure = keyFailure(state.item.key, "write", reply);
    });
  }
}

function longestArg(command: Command): number {
  let longest = 0;
  for (const arg of command) if (arg instanceof Uint8Array && arg.length > longest) longest = arg.length;
  return longest;
}

function tooBig(key: Uint8Array, length: number, maxBulk: number): KeyFailure {
  return {
    key,
    stage: "write",
    code: "too-big",
    reason: `one member is longer (${length} bytes) than the target's proto-max-bulk-len (${maxBulk})`,
    advice: "raise proto-max-bulk-len on the target (CONFIG SET proto-max-bulk-len), or exclude the key",
  };
}

function undecodable(key: Uint8Array, error: PayloadError): KeyFailure {
  const module = error.code === "unsupported" && /MODULE/.test(error.message);
  return {
    key,
    stage: "write",
    code: "bad-data",
    reason: module
      ? "the value is a module type, which only DUMP/RESTORE can copy"
      : `the payload cannot be decoded (${error.code}): ${error.message}`,
    advice: module
      ? "load the same module on the target (Redis 8 has Bloom, JSON and TimeSeries built in; Valkey has valkey-bloom and valkey-json), or exclude the key"
      : "check the source key; copy it with DUMP/RESTORE to a target that reads its version",
  };
}
