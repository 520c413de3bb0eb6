/**
 * Writer (src/pipeline/stages.ts) that RESTOREs what the target can take and copies the rest by type
 * (typed_write.ts) from the payload already read: the automatic fallback.
 *
 * - Up front (from the target's capabilities, target_caps.ts): a payload of a newer RDB version than the
 *   target's, a payload longer than its proto-max-bulk-len, or any payload when RESTORE is refused, goes
 *   type-based at once, without a RESTORE that would fail (or, for a too-long payload, close the
 *   connection).
 * - After the fact: a RESTORE refused for its payload (version or checksum, Bad data format, too long),
 *   because the command is unknown, or not permitted, is written again by type.
 * - Every key that went by type is counted per reason in `stats` (typeBased); hash field TTLs a target
 *   cannot keep are counted there too. Counting happens once the write resolved.
 * - With `fallback` off (--no-fallback), refusals are reported as they are; a payload longer than
 *   proto-max-bulk-len is refused here without being sent.
 *
 * `value` records (read by type, --struct) are written by type too; `big` records are copied from the
 * source in windows (big_key_copy.ts), one after the other. Records of other kinds (commands, delete) go to
 * RESTORE's writer unchanged.
 */
import { ErrorReply } from "../../resp/mod.ts";
import type { FailureCode, KeyFailure } from "../pipeline/failure.ts";
import {
  type BigRecord,
  type DumpRecord,
  type KeyRecord,
  NO_EXPIRY,
  type ValueRecord,
} from "../pipeline/record.ts";
import type { Writer, WriteResult } from "../pipeline/stages.ts";
import type { ReplicationStats } from "../pipeline/stats.ts";
import type { Commands } from "../redis/commands.ts";
import { openPayload } from "../rdb/payload.ts";
import { peekRdbVersion } from "../rdb/version.ts";
import { writeRecords } from "./restore_writer.ts";
import { isStreamPayload, pruneEmptyStream, STREAM_REASON, type StreamOptions } from "./stream_options.ts";
import { type BigCopyOutcome, copyBigKey } from "./big_key_copy.ts";
import { engineName, type TargetCaps } from "./target_caps.ts";
import { type TypedItem, type TypedOutcome, writeTyped } from "./typed_write.ts";

export interface FallbackWriterOptions {
  /** Copy by type what RESTORE refuses; false for --no-fallback. */
  fallback: boolean;
  caps: TargetCaps;
  stats: ReplicationStats;
  /** Most data bytes and elements per type-based command (defaults of src/rdb/commands.ts). */
  windowBytes?: number;
  windowElements?: number;
  /** Where `big` records are read from, in windows (the source worker paired with this writer). */
  source?: () => Commands;
  /** The source has PEXPIRETIME and HPEXPIRETIME. */
  sourceExpireTime?: boolean;
  sourceFieldTtls?: boolean;
  /** Write every key without its TTL (--no-ttl). */
  noTtl?: boolean;
  /** The database the connection selects on connect (-n); records with another `db` are written there. */
  selectedDb?: number;
  /** RIOT's stream options; either one sends every stream by type (stream_options.ts). */
  streams?: StreamOptions;
}

/** RESTORE's argument overhead beside the payload (command name, key length is added). */
const RESTORE_MARGIN = 64;

const FALLBACK_CODES: ReadonlySet<FailureCode> = new Set([
  "payload-version",
  "bad-data",
  "too-big",
  "unknown-command",
  "noperm",
]);

interface TypedRecord {
  record: DumpRecord | ValueRecord;
  /** Why a dump record goes by type (counted); undefined for value records (read by type: --struct). */
  reason?: string;
  /** The RESTORE refusal that sent it here, if any (kept for the report when the type-based copy fails). */
  refusal?: KeyFailure;
}

export class FallbackWriter implements Writer {
  constructor(
    private readonly connection: () => Commands,
    private readonly options: FallbackWriterOptions,
  ) {}

  async write(records: KeyRecord[]): Promise<WriteResult> {
    if (this.options.noTtl) records = records.map(withoutTtl);
    if (this.options.streams?.prune) records = records.map(pruneEmptyStream);
    const connection = this.connection();
    const direct: KeyRecord[] = [];
    const typed: TypedRecord[] = [];
    const refused: KeyFailure[] = [];
    const refusedRecords: KeyRecord[] = [];
    const big: BigRecord[] = [];
    for (const record of records) {
      if (record.kind === "big") {
        big.push(record);
        continue;
      }
      if (record.kind === "value") {
        typed.push({ record });
        continue;
      }
      const reason = record.kind === "dump" ? this.upFront(record) : undefined;
      if (reason === undefined) direct.push(record);
      else if (this.options.fallback) typed.push({ record: record as DumpRecord, reason });
      else {
        refused.push(tooLongForRestore(record as DumpRecord, this.options.caps.maxBulk));
        refusedRecords.push(record);
      }
    }
    const result = await writeRecords(connection, direct, this.options.selectedDb);
    const failures: KeyFailure[] = [...refused];
    const failedRecords: KeyRecord[] = [...refusedRecords];
    result.failures.forEach((failure, i) => {
      const record = result.failedRecords[i];
      if (this.options.fallback && record.kind === "dump" && fallsBack(failure)) {
        typed.push({ record, reason: afterRefusal(failure), refusal: failure });
      } else {
        failures.push(failure);
        failedRecords.push(record);
      }
    });
    let written = result.written;
    let bytes = result.bytes;
    if (typed.length > 0) {
      const outcomes = await this.writeTypedPerDb(connection, typed);
      outcomes.forEach((outcome, i) => {
        const { record, reason, refusal } = typed[i];
        if (outcome.fieldTtlsDropped > 0) {
          this.options.stats.addFieldTtlsDropped(record.key, outcome.fieldTtlsDropped);
        }
        if (outcome.failure) {
          failures.push(explain(outcome.failure, refusal, this.options.caps));
          failedRecords.push(record);
          return;
        }
        written++;
        if (record.kind === "value") bytes += record.key.length + record.bytes;
        else if (!refusal) bytes += record.key.length + record.payload.length; // else counted by RESTORE
        if (reason !== undefined) this.options.stats.addTypeBased(reason);
      });
    }
    let deleted = result.deleted;
    for (const record of big) {
      const outcome = await this.copyBig(record);
      if (outcome.fieldTtlsDropped > 0) {
        this.options.stats.addFieldTtlsDropped(record.key, outcome.fieldTtlsDropped);
      }
      if (outcome.failure) {
        failures.push(outcome.failure);
        failedRecords.push(record);
      } else if (outcome.deleted) deleted++;
      else written++;
      bytes += outcome.bytes;
    }
    return { written, deleted, bytes, failures, failedRecords };
  }

  /**
   * Type-based writes, database by database: records naming another database than the selected one are
   * written after a SELECT, and the connection selects its own database again after them. One outcome per
   * record, in order.
   */
  private async writeTypedPerDb(connection: Commands, typed: TypedRecord[]): Promise<TypedOutcome[]> {
    const selected = this.options.selectedDb ?? 0;
    const byDb = new Map<number, number[]>();
    typed.forEach(({ record }, i) => {
      const db = record.db ?? selected;
      const indexes = byDb.get(db);
      if (indexes) indexes.push(i);
      else byDb.set(db, [i]);
    });
    const outcomes: TypedOutcome[] = new Array(typed.length);
    for (const [db, indexes] of byDb) {
      if (db !== selected) await selectDb(connection, db);
      const written = await writeTyped(connection, indexes.map((i) => toItem(typed[i])), {
        maxBulk: this.options.caps.maxBulk,
        fieldTtls: this.options.caps.fieldTtls,
        windowBytes: this.options.windowBytes,
        windowElements: this.options.windowElements,
        newStreamIds: this.options.streams?.newIds,
      });
      if (db !== selected) await selectDb(connection, selected);
      indexes.forEach((index, j) => outcomes[index] = written[j]);
    }
    return outcomes;
  }

  private copyBig(record: BigRecord): Promise<BigCopyOutcome> {
    const options = this.options;
    if (!options.source) throw new Error("FallbackWriter got a big record without a source connection");
    return copyBigKey(options.source(), this.connection(), record, {
      noTtl: options.noTtl,
      newStreamIds: options.streams?.newIds,
      maxBulk: options.caps.maxBulk,
      targetFieldTtls: options.caps.fieldTtls,
      sourceFieldTtls: options.sourceFieldTtls ?? false,
      expireTime: options.sourceExpireTime ?? true,
      windowElements: options.windowElements,
      windowBytes: options.windowBytes,
    });
  }

  /** Why this record cannot be RESTOREd on this target, known before trying; undefined when it may be. */
  private upFront(record: DumpRecord): string | undefined {
    const caps = this.options.caps;
    if (record.payload.length + record.key.length + RESTORE_MARGIN > caps.maxBulk) {
      return `the payload is longer than the target's proto-max-bulk-len (${caps.maxBulk} bytes)`;
    }
    if (this.options.streams && isStreamPayload(record.payload)) return STREAM_REASON;
    if (!this.options.fallback) return undefined;
    if (caps.restore === false) return `the target refuses RESTORE (${caps.restoreRefusal})`;
    const version = peekRdbVersion(record.payload);
    if (caps.rdbVersion !== undefined && version !== undefined && version > caps.rdbVersion) {
      return `${
        engineName(caps)
      } reads RDB version ${caps.rdbVersion} at most, the source's payloads are version ${version}`;
    }
    return undefined;
  }
}

/** SELECT that must succeed (a refusal here would write keys into the wrong database). */
async function selectDb(connection: Commands, db: number): Promise<void> {
  const [reply] = await connection.pipeline([["SELECT", db]]);
  if (reply instanceof ErrorReply) throw new Error(`SELECT ${db} on the target failed: ${reply.message}`);
}

function withoutTtl(record: KeyRecord): KeyRecord {
  return record.kind === "dump" || record.kind === "value" ? { ...record, expireAt: NO_EXPIRY } : record;
}

function toItem({ record }: TypedRecord): TypedItem {
  const open = record.kind === "value" ? () => record.value : () => openPayload(record.payload).value;
  return { key: record.key, expireAt: record.expireAt, open };
}

/** True for a RESTORE refused for its payload or the command itself (not for OOM, a busy key, ...). */
function fallsBack(failure: KeyFailure): boolean {
  if (!FALLBACK_CODES.has(failure.code)) return false;
  return failure.code !== "noperm" || /restore/i.test(failure.reason);
}

/** The reason a refused RESTORE counts under, without the key-specific part of the server's words. */
function afterRefusal(failure: KeyFailure): string {
  switch (failure.code) {
    case "payload-version":
      return "RESTORE refused the payload's RDB version or checksum";
    case "bad-data":
      return "RESTORE refused the payload (Bad data format)";
    case "too-big":
      return "RESTORE refused the payload as too long";
    case "unknown-command":
      return "the target does not know RESTORE (renamed or disabled)";
    default:
      return "the target user may not run RESTORE";
  }
}

/**
 * A type-based copy that failed after a RESTORE refusal says both; a module value's advice names what the
 * target's engine offers.
 */
function explain(failure: KeyFailure, refusal: KeyFailure | undefined, caps: TargetCaps): KeyFailure {
  if (failure.code !== "bad-data") return failure;
  const module = /module type/.test(failure.reason);
  const advice = !module
    ? failure.advice
    : caps.engine === "Valkey"
    ? `load the module on ${
      engineName(caps)
    } (valkey-bloom for Bloom filters, valkey-json for JSON), or exclude the key (--key-exclude)`
    : `load the module on ${
      engineName(caps)
    } (Redis 8 has Bloom, JSON and TimeSeries built in; Redis Stack for 7.x), or exclude the key (--key-exclude)`;
  const reason = refusal ? `${failure.reason} (RESTORE said: ${refusal.reason})` : failure.reason;
  return { ...failure, reason, advice };
}

function tooLongForRestore(record: DumpRecord, maxBulk: number): KeyFailure {
  return {
    key: record.key,
    stage: "write",
    code: "too-big",
    reason:
      `the payload (${record.payload.length} bytes) is longer than the target's proto-max-bulk-len (${maxBulk})`,
    advice:
      "raise proto-max-bulk-len on the target, or drop --no-fallback so that riot copies such keys by type",
  };
}
