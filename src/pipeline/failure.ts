/**
 * Why a key was not copied, as a code (for counting, retrying and falling back) with the server's words
 * and one line of advice. Every reader and writer reports refusals through `keyFailure()`, so the same
 * refusal gets the same code and advice in the snapshot, live batches and converge.
 */
import { ErrorReply } from "../../resp/mod.ts";

export type FailureCode =
  | "payload-version"
  | "bad-data"
  | "too-big"
  | "oom"
  | "noperm"
  | "moved"
  | "clusterdown"
  | "readonly"
  | "busy-key"
  | "busy"
  | "loading"
  | "tryagain"
  | "unknown-command"
  | "wrongtype"
  | "bad-record"
  | "other";

export type Stage = "read" | "write";

export interface KeyFailure {
  key: Uint8Array;
  stage: Stage;
  code: FailureCode;
  /** The server's words (or ours). */
  reason: string;
  advice: string;
  /** Where the record came from (a file line, a row), when it did not come from a Redis key. */
  origin?: string;
}

/** The code of a server's refusal. */
export function failureCode(error: ErrorReply): FailureCode {
  const text = error.message;
  switch (error.code) {
    case "OOM":
      return "oom";
    case "NOPERM":
      return "noperm";
    case "MOVED":
    case "ASK":
      return "moved";
    case "CLUSTERDOWN":
      return "clusterdown";
    case "READONLY":
      return "readonly";
    case "BUSYKEY":
      return "busy-key";
    case "BUSY":
      return "busy";
    case "LOADING":
      return "loading";
    case "TRYAGAIN":
    case "MASTERDOWN":
      return "tryagain";
    case "WRONGTYPE":
      return "wrongtype";
  }
  if (/payload version or checksum/i.test(text)) return "payload-version";
  if (/bad data format/i.test(text)) return "bad-data";
  if (/unknown command|command not allowed|renamed/i.test(text)) return "unknown-command";
  if (/(string|bulk).*(exceeds|too (big|large|long))|max.*bulk/i.test(text)) return "too-big";
  return "other";
}

const WRITE_ADVICE: Record<FailureCode, string> = {
  "payload-version":
    "the target's RDB format is older than the source's (Redis 7.4/8 -> Valkey 8 or Redis 7.0, Valkey 8 -> Redis 7.0): drop --no-fallback so that riot copies such keys by type, or use a target at least as new as the source",
  "bad-data":
    "the target cannot read this payload (a module type missing on the target, or a corrupted payload)",
  "too-big": "the payload is larger than the target accepts: raise proto-max-bulk-len on the target",
  oom: "the target is out of memory (maxmemory): raise maxmemory or free memory on the target",
  noperm: "the target user lacks permission: allow RESTORE and DEL (+restore +del)",
  moved: "the target is a cluster: cluster targets come with cluster support (-c)",
  clusterdown: "the target cluster is down: it was retried until --retry-limit ran out",
  readonly:
    "the target is a read-only replica (a failover?): it was retried until --retry-limit ran out; write to its master",
  "busy-key": "the key exists on the target and was not replaced: check the target's ACL and key space",
  busy: "the target is busy running a script: it was retried until --retry-limit ran out",
  loading: "the target is loading its dataset: it was retried until --retry-limit ran out",
  tryagain: "the target asked to try again: it was retried until --retry-limit ran out",
  "unknown-command":
    "the target refuses the command (renamed or disabled): allow it, or drop --no-fallback to copy by type",
  wrongtype: "the key holds another type on the target: delete it there or exclude it",
  "bad-record": "fix the record in the source, or use --ignore-missing / --filter to leave such records out",
  other: "check the target server's log",
};

const READ_ADVICE: Partial<Record<FailureCode, string>> = {
  noperm: "the source user lacks permission: allow DUMP and PEXPIRETIME/PTTL (+@keyspace +dump)",
  moved: "the source is a cluster node: cluster sources come with cluster support (-c)",
  busy: "the source is busy running a script: it was retried until --retry-limit ran out",
  loading: "the source is loading its dataset: it was retried until --retry-limit ran out",
};

export function keyFailure(key: Uint8Array, stage: Stage, error: ErrorReply, origin?: string): KeyFailure {
  const code = failureCode(error);
  const advice = stage === "read" ? READ_ADVICE[code] ?? "check the source server's log" : WRITE_ADVICE[code];
  const failure: KeyFailure = { key, stage, code, reason: error.message, advice };
  if (origin !== undefined) failure.origin = origin;
  return failure;
}

/**
 * An import record that could not become writes (a missing key field, a score that is not a number, a
 * malformed line): not a refusal of a server, but counted and listed the same way, with where it came from.
 */
export function recordFailure(key: Uint8Array, reason: string, origin: string): KeyFailure {
  return { key, stage: "read", code: "bad-record", reason, advice: WRITE_ADVICE["bad-record"], origin };
}

/**
 * Codes of per-key refusals that may go away by themselves: the records are sent again after a pause. The
 * same replies as src/retry.ts `isRetriable` (LOADING, BUSY, TRYAGAIN, CLUSTERDOWN, MASTERDOWN, READONLY
 * after a failover), as codes.
 */
export function isRetriableCode(code: FailureCode): boolean {
  return code === "busy" || code === "loading" || code === "tryagain" || code === "clusterdown" ||
    code === "readonly";
}
