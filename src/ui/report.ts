/** Final reports of replicate and compare: the human lines (stderr/stdout) and the JSON shapes. */
import type { ReplicationStats } from "../pipeline/stats.ts";
import { type Diff, summaryLine, type VerifyResult } from "../verify/verify.ts";
import { formatBytes, formatCount } from "./format.ts";
import type { Logger } from "./log.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
/** Characters that print as nothing or move text around: C1 controls, zero-width and bidi controls. */
const INVISIBLE = /^[\u0080-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]$/;

/**
 * A key for printing, unambiguous: printable ASCII and visible UTF-8 characters as they are, `\` as `\\`,
 * and every other byte (controls, invalid UTF-8, invisible characters) as `\xNN`. So the key made of the
 * four characters `\x00` prints `\\x00` and the byte 0x00 prints `\x00`, in text and in JSON. Never used
 * to address a key.
 */
export function showKey(key: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < key.length) {
    const byte = key[i];
    if (byte === 0x5c) {
      out += "\\\\";
      i++;
      continue;
    }
    if (byte >= 0x20 && byte < 0x7f) {
      out += String.fromCharCode(byte);
      i++;
      continue;
    }
    const length = byte >= 0xc2 && byte <= 0xdf
      ? 2
      : byte >= 0xe0 && byte <= 0xef
      ? 3
      : byte >= 0xf0 && byte <= 0xf4
      ? 4
      : 0;
    const character = length > 0 ? decodeOne(key.subarray(i, i + length), length) : undefined;
    if (character !== undefined && !INVISIBLE.test(character)) {
      out += character;
      i += length;
      continue;
    }
    out += `\\x${byte.toString(16).padStart(2, "0")}`;
    i++;
  }
  return out;
}

/** The one character `bytes` encode in UTF-8, or undefined when they are not exactly one valid character. */
function decodeOne(bytes: Uint8Array, length: number): string | undefined {
  if (bytes.length < length) return undefined;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The snapshot's keys, time and rate, then the counters of the whole run (live writes included). */
export function replicationSummary(stats: ReplicationStats): string {
  const seconds = stats.copySeconds ?? stats.elapsedSeconds;
  const copied = stats.copyWritten ?? stats.written;
  const rate = seconds > 0 ? `${formatCount(copied / seconds)} keys/s` : "-";
  return `Copied ${copied} keys in ${seconds.toFixed(2)} s (${rate}): scanned ${stats.scanned}, ` +
    `read ${stats.read}, written ${stats.written}, vanished ${stats.vanished}, skipped ${stats.skipped}, ` +
    `failed ${stats.failed}, ${formatBytes(stats.bytes)}`;
}

/**
 * Once, at the end: how many keys were copied by type instead of RESTORE and why, and the hash field TTLs
 * the target could not keep (a loss: the run exits 1).
 */
export function reportTypeBased(stats: ReplicationStats, log: Logger): void {
  if (stats.typeBasedTotal > 0) {
    const why = [...stats.typeBased].map(([reason, count]) => `${count}: ${reason}`).join("; ");
    log.notice(`${stats.typeBasedTotal} key(s) copied by type instead of RESTORE (${why})`);
  }
  if (stats.fieldTtlsDropped > 0) {
    const keys = stats.fieldTtlKeys.slice(0, 5).map(showKey).join(", ");
    const more = stats.fieldTtlKeys.length > 5 ? ", ..." : "";
    log.error(
      `${stats.fieldTtlsDropped} hash field TTL(s) could not be kept: the target has no hash field TTLs ` +
        `(HPEXPIREAT); those fields were copied without expiry (keys: ${keys}${more}). What to do: copy to ` +
        `Redis 7.4 or later, or expire those fields on the target yourself`,
    );
  }
}

/** Tell the user about every key that was not copied: counted per reason, with advice, and the first keys. */
export function reportNotCopied(stats: ReplicationStats, log: Logger): void {
  for (const [reason, { count, advice }] of stats.failureReasons) {
    // Server messages often end with a period already ("... > 'maxmemory'."): one period, not two.
    log.error(`${count} key(s) not copied: ${reason.replace(/\.+$/, "")}. What to do: ${advice}`);
  }
  for (const failure of stats.failures.slice(0, 20)) {
    log.warn(`  not copied (${failure.stage}): ${showKey(failure.key)}: ${failure.reason}`);
  }
  if (stats.failed > 20) log.warn(`  ... and ${stats.failed - 20} more`);
  if (stats.skipped > 0) {
    log.warn(`${stats.skipped} key(s) skipped: larger than --mem-limit`);
    for (const entry of stats.skippedKeys.slice(0, 20)) {
      log.warn(`  skipped: ${showKey(entry.key)} (${entry.bytes} bytes)`);
    }
    if (stats.skipped > 20) log.warn(`  ... and ${stats.skipped - 20} more`);
  }
}

export function reportVerify(
  result: VerifyResult,
  showDiffs: number,
  log: Logger,
  out: (text: string) => void,
): void {
  out(`${summaryLine(result)}\n`);
  // The summary line keeps its five counters; keys that expired while checked get a line of their own.
  if (result.expired > 0) {
    out(`Expired during the verification: ${result.expired} key(s) (not differences)\n`);
  }
  if (result.unstable > 0) {
    out(
      `Unstable module payloads: ${result.unstable} module key(s) whose payload bytes differ ` +
        "(riot cannot compare a module's data; not counted as V)\n",
    );
  }
  if (result.skipped > 0) log.notice(`  ${result.skipped} key(s) above --mem-limit were not verified`);
  const shown = result.diffs.slice(0, showDiffs);
  for (const diff of shown) {
    const name = diff.targetKey ? `${showKey(diff.key)} -> ${showKey(diff.targetKey)}` : showKey(diff.key);
    log.notice(`  ${kindSymbol(diff)} ${name}: ${diff.detail}`);
  }
  const total = result.value + result.missing + result.extra + result.ttl;
  if (total > shown.length && showDiffs > 0) {
    log.warn(`  ... ${total - shown.length} more (--show-diffs N to list more)`);
  }
}

function kindSymbol(diff: Diff): string {
  return { value: "V", type: "V", missing: ">", extra: "<", ttl: "T", module: "~" }[diff.kind];
}

export function verifyJson(result: VerifyResult, showDiffs: number) {
  return {
    ok: result.ok,
    value: result.value,
    missing: result.missing,
    extra: result.extra,
    ttl: result.ttl,
    expired: result.expired,
    unstableModulePayloads: result.unstable,
    skipped: result.skipped,
    rounds: result.rounds,
    seconds: Number(result.seconds.toFixed(3)),
    diffs: result.diffs.slice(0, showDiffs).map((diff) => ({
      key: showKey(diff.key),
      ...(diff.targetKey ? { targetKey: showKey(diff.targetKey) } : {}),
      kind: diff.kind,
      detail: diff.detail,
    })),
  };
}

export function statsJson(stats: ReplicationStats) {
  return {
    scanned: stats.scanned,
    read: stats.read,
    written: stats.written,
    vanished: stats.vanished,
    skipped: stats.skipped,
    failed: stats.failed,
    bytes: stats.bytes,
    /** Batches sent again after a lost connection or a busy server, and the records in them. */
    retries: stats.retries,
    resent: stats.resent,
    maxRoundTripBytes: stats.roundTripBytes,
    seconds: Number(stats.elapsedSeconds.toFixed(3)),
    copySeconds: stats.copySeconds === undefined ? undefined : Number(stats.copySeconds.toFixed(3)),
    keysPerSecond: Math.round(
      (stats.copyWritten ?? stats.written) / Math.max(stats.copySeconds ?? stats.elapsedSeconds, 1e-9),
    ),
    typeBased: {
      total: stats.typeBasedTotal,
      reasons: Object.fromEntries(stats.typeBased),
    },
    fieldTtlsDropped: stats.fieldTtlsDropped,
    failures: stats.failures.slice(0, 20).map((failure) => ({
      key: showKey(failure.key),
      stage: failure.stage,
      reason: failure.reason,
      advice: failure.advice,
    })),
    skippedKeys: stats.skippedKeys.slice(0, 20).map((entry) => ({
      key: showKey(entry.key),
      bytes: entry.bytes,
    })),
  };
}
