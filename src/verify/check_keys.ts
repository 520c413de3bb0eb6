/**
 * One batch of source keys checked on both sides (the heart of a verification, see verify.ts): each key is
 * read on the source and its image on the target (the same name, or its --key-proc name), then sorted
 * into OK, expired, or a Diff; values whose payloads differ are compared as data by type, big ones in
 * windows; a module value whose payload differs is `module` (unstable), never V.
 */
import { toText } from "../../resp/mod.ts";
import type { Commands } from "../redis/commands.ts";
import { renamedTarget } from "./renamed_target.ts";
import { expiresBy, readSides } from "./sides.ts";
import { bytesEqual, valuesEqual } from "./value_equal.ts";
import type { Diff, DiffKind, VerifyConfig } from "./verify.ts";
import { WINDOWED_ABOVE, windowedEqual } from "./windowed_equal.ts";

/** RDB version (2 bytes) and CRC64 (8 bytes) at the end of a DUMP payload. */
const PAYLOAD_FOOTER = 10;

export interface Checked {
  ok: number;
  /** Keys missing on one side whose expiry on the other has passed: not differences. */
  expired: number;
  /** Keys present on both sides (ok or not). */
  onBoth: number;
  /** Keys present on the source (whatever the target holds). */
  onSource: number;
  found: Diff[];
}

/** Classify keys; keys gone from both sides are not counted at all. */
export async function checkKeys(
  source: Commands,
  target: Commands,
  keys: Uint8Array[],
  config: VerifyConfig,
): Promise<Checked> {
  if (keys.length === 0) return { ok: 0, expired: 0, onBoth: 0, onSource: 0, found: [] };
  const names = config.keyMap ? await config.keyMap.targetsOf(source, keys) : keys;
  const [left, right] = await Promise.all([
    readSides(source, keys, config.mode, config.sourceExpireTime),
    readSides(target, names, config.mode, config.targetExpireTime),
  ]);
  const diff = (i: number, kind: DiffKind, detail: string): Diff =>
    names === keys ? { key: keys[i], kind, detail } : { key: keys[i], kind, detail, targetKey: names[i] };
  let ok = 0;
  let expired = 0;
  let onBoth = 0;
  let onSource = 0;
  const found: Diff[] = [];
  const expiredBy = Date.now() + config.ttlToleranceMs;
  const toCompare: { index: number; type: string }[] = [];
  for (let i = 0; i < keys.length; i++) {
    const a = left[i];
    const b = right[i];
    if (a.present) onSource++;
    if (!a.present && !b.present) continue;
    if (a.present !== b.present && expiresBy(a.present ? a : b, expiredBy)) {
      expired++;
      continue;
    }
    if (a.present && b.present) onBoth++;
    if (!b.present) found.push(diff(i, "missing", "only in source"));
    else if (!a.present) found.push(diff(i, "extra", "only in target"));
    else if (config.mode === "quick" && a.type !== b.type) {
      found.push(diff(i, "type", `type ${a.type} in source, ${b.type} in target`));
    } else if (config.mode === "full" && !payloadsEqual(a.dump!, b.dump!)) {
      toCompare.push({ index: i, type: "" });
    } else if (!config.ignoreTtl && !ttlClose(a.expireAt, b.expireAt, config.ttlToleranceMs)) {
      found.push(diff(i, "ttl", ttlDetail(a.expireAt, b.expireAt)));
    } else ok++;
  }
  if (toCompare.length > 0) {
    const types = await Promise.all([
      source.pipeline(toCompare.map(({ index }) => ["TYPE", keys[index]])),
      target.pipeline(toCompare.map(({ index }) => ["TYPE", names[index]])),
    ]);
    const sameType: { index: number; type: string }[] = [];
    toCompare.forEach((entry, j) => {
      const a = toText(types[0][j]);
      const b = toText(types[1][j]);
      if (a !== b) {
        found.push(diff(entry.index, "type", `type ${a} in source, ${b} in target`));
      } else sameType.push({ index: entry.index, type: a });
    });
    const equal = await equalValues(
      source,
      target,
      keys,
      names,
      config,
      sameType,
      (index) => Math.max(left[index].dump?.length ?? 0, right[index].dump?.length ?? 0) > WINDOWED_ABOVE,
    );
    sameType.forEach(({ index, type }, j) => {
      if (!equal[j]) found.push(diff(index, unequalKind(type), unequalDetail(type)));
      else if (
        !config.ignoreTtl && !ttlClose(left[index].expireAt, right[index].expireAt, config.ttlToleranceMs)
      ) {
        found.push(diff(index, "ttl", ttlDetail(left[index].expireAt, right[index].expireAt)));
      } else ok++;
    });
  }
  if (config.streamPrune) {
    const pruned = await prunedStreams(source, found.filter((d) => d.kind === "missing").map((d) => d.key));
    ok += pruned.size;
    return {
      ok,
      expired,
      onBoth,
      onSource,
      found: found.filter((d) => d.kind !== "missing" || !pruned.has(d.key)),
    };
  }
  return { ok, expired, onBoth, onSource, found };
}

/** Of the keys only in the source, the empty streams (--stream-prune deleted them on purpose). */
async function prunedStreams(source: Commands, keys: Uint8Array[]): Promise<Set<Uint8Array>> {
  if (keys.length === 0) return new Set();
  const replies = await source.pipelineKeys([["TYPE"], ["XLEN"]], keys);
  return new Set(keys.filter((_, i) => toText(replies[2 * i]) === "stream" && replies[2 * i + 1] === 0));
}

/**
 * How unequal data of `type` counts: a value difference for Redis' own types (compared as data), `module`
 * for a module type (only its payload bytes can be compared, and they need not be stable).
 */
export function unequalKind(type: string): "value" | "module" {
  return CORE_TYPES.has(type) ? "value" : "module";
}

function unequalDetail(type: string): string {
  return CORE_TYPES.has(type)
    ? `${type} value differs`
    : `${type} payloads differ (a module's payload is not compared as data: not counted as V)`;
}

const CORE_TYPES: ReadonlySet<string> = new Set(["string", "list", "set", "zset", "hash", "stream"]);

/** valuesEqual for most keys at once; keys whose payloads are big one by one in windows. */
async function equalValues(
  source: Commands,
  target: Commands,
  keys: Uint8Array[],
  names: Uint8Array[],
  config: VerifyConfig,
  entries: { index: number; type: string }[],
  isBig: (index: number) => boolean,
): Promise<boolean[]> {
  const small = entries.filter(({ index }) => !isBig(index));
  const equalSmall = await valuesEqual(
    source,
    target,
    small.map(({ index, type }) => ({ key: keys[index], type, targetKey: names[index] })),
    { streamIds: config.streamIds },
  );
  const result = new Map(small.map((entry, i) => [entry, equalSmall[i]]));
  for (const entry of entries) {
    if (isBig(entry.index)) {
      const [key, name] = [keys[entry.index], names[entry.index]];
      const renamed = name === key ? target : renamedTarget(target, key, name);
      result.set(
        entry,
        await windowedEqual(source, renamed, key, entry.type, { streamIds: config.streamIds }),
      );
    }
  }
  return entries.map((entry) => result.get(entry)!);
}

/**
 * Equal DUMP payloads, their footers aside: the same value written by servers of different RDB versions
 * (e.g. Redis 7.0 and 7.2 write the same bytes but version 10 and 11) is equal; the CRC follows the version.
 */
function payloadsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length || a.length < PAYLOAD_FOOTER) return bytesEqual(a, b);
  return bytesEqual(a.subarray(0, a.length - PAYLOAD_FOOTER), b.subarray(0, b.length - PAYLOAD_FOOTER));
}

function ttlClose(a: number, b: number, tolerance: number): boolean {
  if (a === -1 || b === -1) return a === b;
  return Math.abs(a - b) <= tolerance;
}

function ttlDetail(a: number, b: number): string {
  const show = (at: number) => (at === -1 ? "none" : `${Math.max(0, at - Date.now())} ms left`);
  return `TTL ${show(a)} in source, ${show(b)} in target`;
}
