/**
 * Verification of a copy: every source key is looked up on both sides, and every target key on the
 * source, and each key lands in exactly one counter of `OK:n V:n >:n <:n T:n`:
 * identical, value (or type) differs, only in source, only in target, TTL off by more than the tolerance.
 *
 * quick: existence, type and TTL (`TYPE` + `PEXPIRETIME` per key and side). full: also the value (`DUMP`
 * + `PEXPIRETIME`; equal payloads are equal values, differing payloads are compared as data by type, so an
 * encoding difference is not a diff). With `rounds` > 1, differing keys are re-checked after `pauseMs`,
 * so keys that were changing during the check are not reported as lasting differences.
 *
 * A key missing on one side whose expiry on the other side has passed (or passes within the TTL
 * tolerance) expired during the check: it is counted as `expired`, not as a difference. Without key
 * filters, the scan of the target for keys only there is skipped when DBSIZE of the target equals the
 * number of source keys found on it (nothing else can be there) and the source pass saw exactly DBSIZE of
 * the source keys (SCAN may return a key twice while a table grows; a key counted twice could hide an extra
 * one); `targetPassSkipped` says so, and so does the debug log.
 */
import type { Log } from "../log.ts";
import type { Commands } from "../redis/commands.ts";
import type { KeyLog } from "../pipeline/key_log.ts";
import type { KeyMap } from "../sources/key_map.ts";
import type { ScanOptions, ScanPage } from "../sources/key_scanner.ts";
import { type Checked, checkKeys } from "./check_keys.ts";
import { checkTargetKeys, NOTHING_CHECKED, recheckSlice } from "./target_keys.ts";
import { runBatches, scanned } from "./run_batches.ts";
import type { CompareMode } from "./sides.ts";

export type { CompareMode };
export { type Checked, checkKeys, unequalKind } from "./check_keys.ts";
/** `module`: a module type's payloads differ; counted as `unstable`, not as a value difference. */
export type DiffKind = "value" | "type" | "missing" | "extra" | "ttl" | "module";

export interface VerifyConfig {
  mode: CompareMode;
  ttlToleranceMs: number;
  /** TTLs are not compared (the copy dropped them on purpose: --no-ttl). */
  ignoreTtl?: boolean;
  /**
   * Target names of source keys (--key-proc): each source key is compared with its image, and the target
   * pass looks for target keys that no source key maps to (KeyMap.onlyInTarget).
   */
  keyMap?: KeyMap;
  /** False when streams were copied with new IDs (--no-stream-id): entries and fields in order only. */
  streamIds?: boolean;
  /** Empty source streams were deleted on purpose (--stream-prune): absent on the target is OK. */
  streamPrune?: boolean;
  scan: ScanOptions;
  batch: number;
  rounds: number;
  pauseMs: number;
  /** Per side: PEXPIRETIME available (else PTTL + clock). */
  sourceExpireTime: boolean;
  targetExpireTime: boolean;
  /** Differing keys remembered for re-checks and --show-diffs; the rest are only counted. */
  maxRemembered?: number;
  /** Keys whose MEMORY USAGE on the source is above this were skipped on purpose: not checked, counted. */
  memLimit?: number;
  /** Stops the scans early; the result is then marked `stopped`. */
  signal?: AbortSignal;
  /** Says at debug level whether the scan of the target was skipped, and why. */
  log?: Log;
  /**
   * The keys the copy just scanned from the source, when it logged them all: the source pass checks them
   * instead of scanning again, if DBSIZE proves nothing else is there (see verifyListed).
   */
  sourceKeys?: KeyLog;
  /** Continue a stopped verification (`riot compare --checkpoint`): its source pass cursor and counts. */
  resume?: VerifyPosition;
  /**
   * Called as the source pass advances: the SCAN cursor up to which every source key is checked, and the
   * counts of exactly those keys (with `resume`'s), so that a new run can continue from there.
   */
  onPosition?: (position: VerifyPosition) => void;
}

/** Counts of a verification's source pass up to a cursor; what a checkpoint keeps. */
export interface VerifyCounts {
  ok: number;
  value: number;
  missing: number;
  extra: number;
  ttl: number;
  expired: number;
  /** Module values whose payloads differ (see VerifyResult.unstable). */
  unstable: number;
  skipped: number;
  /** Source keys found on the target too, and source keys seen (for the DBSIZE shortcut). */
  onBoth: number;
  seen: number;
}

export interface VerifyPosition {
  cursor: string;
  /** True when the source pass is complete. */
  done: boolean;
  counts: VerifyCounts;
}

export function emptyCounts(): VerifyCounts {
  return {
    ok: 0,
    value: 0,
    missing: 0,
    extra: 0,
    ttl: 0,
    expired: 0,
    unstable: 0,
    skipped: 0,
    onBoth: 0,
    seen: 0,
  };
}

export interface Diff {
  /** The source key; for "only in target" the target key (with --key-proc it is no source key's image). */
  key: Uint8Array;
  kind: DiffKind;
  detail: string;
  /** With --key-proc: the key's name on the target, when `key` is a source key. */
  targetKey?: Uint8Array;
}

export interface VerifyResult {
  ok: number;
  value: number;
  missing: number;
  extra: number;
  ttl: number;
  /** Keys that expired while they were checked (missing on one side, expiry passed on the other). */
  expired: number;
  /**
   * Module values (a type that is none of Redis' own) whose DUMP payloads differ in more than their
   * version and checksum: riot cannot read a module's data, and a module may serialize equal data in
   * different bytes, so these are neither OK nor V. Not a difference for the exit code; reported apart.
   */
  unstable: number;
  /** Source keys left out because they are above memLimit. */
  skipped: number;
  /** True when the scan for keys only in the target was skipped because DBSIZE proved there are none. */
  targetPassSkipped?: boolean;
  /** True when a stop signal ended the verification early (the counts are partial). */
  stopped?: boolean;
  /** Differing keys (up to maxRemembered), after the last round. */
  diffs: Diff[];
  rounds: number;
  seconds: number;
}

export interface VerifyConnections {
  /** What to SCAN on each side: the server, or every master of a cluster (scanned one after another). */
  sourceScanners: Commands[];
  targetScanners: Commands[];
  sources: Commands[];
  targets: Commands[];
}

/** Counts shown while verifying. */
export interface VerifyProgress {
  checked: number;
}

export function summaryLine(
  result: Pick<VerifyResult, "ok" | "value" | "missing" | "extra" | "ttl">,
): string {
  return `OK:${result.ok} V:${result.value} >:${result.missing} <:${result.extra} T:${result.ttl}`;
}

export function differs(result: VerifyResult): boolean {
  return result.value + result.missing + result.extra + result.ttl > 0;
}

export async function verify(
  connections: VerifyConnections,
  config: VerifyConfig,
  progress: VerifyProgress = { checked: 0 },
): Promise<VerifyResult> {
  const listed = config.sourceKeys;
  if (
    listed && !listed.overflowed && listed.size > 0 && config.resume === undefined &&
    config.onPosition === undefined && unfiltered(config)
  ) {
    const result = await verifyListed(connections, config, progress, listed);
    if (result) return result;
    progress.checked = 0;
  }
  return verifyScanned(connections, config, progress);
}

/** The keys of a verification are not narrowed by a filter: DBSIZE counts exactly the keys it covers. */
function unfiltered(config: VerifyConfig): boolean {
  return config.scan.pattern === undefined && config.scan.type === undefined &&
    config.scan.filter === undefined && config.memLimit === undefined;
}

/**
 * The source pass over the keys the copy scanned (`config.sourceKeys`) instead of a new SCAN of the
 * source: each key is checked on both sides exactly as in the scanned pass. It stands only when DBSIZE
 * proves the list covered everything: before, the source holds as many keys as the list; after, every
 * source key is a listed key found on the source, and every target key a listed key found on the target.
 * Otherwise it returns undefined and the caller verifies by scanning (the source was written meanwhile).
 */
async function verifyListed(
  connections: VerifyConnections,
  config: VerifyConfig,
  progress: VerifyProgress,
  listed: KeyLog,
): Promise<VerifyResult | undefined> {
  const started = performance.now();
  const before = await dbSizeOf(connections.sourceScanners);
  if (before !== listed.size) {
    config.log?.debug(
      `Verification: scanning the source again: its DBSIZE (${before ?? "?"}) differs from the ` +
        `${listed.size} keys the copy scanned`,
    );
    return undefined;
  }
  const tally = new Tally(config.maxRemembered ?? 100_000);
  let next = 0;
  const pick = <T>(list: T[]) => list[next++ % list.length];
  let onSource = 0;
  let onTarget = 0;
  await runBatches(listPages(listed, config.batch), config, async (keys) => {
    const checked = await checkKeys(pick(connections.sources), pick(connections.targets), keys, config);
    progress.checked += keys.length;
    return checked;
  }, {
    commit: (checked) => {
      tally.add(checked);
      onSource += checked.onSource;
      onTarget += checked.onBoth + checked.found.filter((diff) => diff.kind === "extra").length;
    },
  });
  const stopped = config.signal?.aborted;
  if (!stopped) {
    const [sourceSize, targetSize] = await Promise.all([
      dbSizeOf(connections.sourceScanners),
      dbSizeOf(connections.targetScanners),
    ]);
    if (sourceSize !== onSource || targetSize !== onTarget) {
      config.log?.debug(
        `Verification: scanning both sides after all: DBSIZE ${sourceSize ?? "?"} on the source, ` +
          `${onSource} listed keys found there; DBSIZE ${targetSize ?? "?"} on the target, ${onTarget} ` +
          `listed keys found there`,
      );
      return undefined;
    }
    config.log?.debug(
      `Verification: checked the ${listed.size} keys the copy scanned instead of scanning again: DBSIZE ` +
        `proves there are no others (source ${sourceSize}, target ${targetSize})`,
    );
  }
  const rounds = await recheck(tally, connections, config, pick);
  return {
    ...tally.counts,
    skipped: 0,
    diffs: tally.diffs,
    rounds,
    seconds: (performance.now() - started) / 1000,
    targetPassSkipped: !stopped,
    stopped,
  };
}

/** The listed keys as pages of a pass; the cursor of a page is its number (never a resume point). */
function* listPages(listed: KeyLog, size: number): Generator<ScanPage> {
  let page = 0;
  for (const keys of listed.pages(size)) yield { keys, cursor: String(++page) };
}

async function verifyScanned(
  connections: VerifyConnections,
  config: VerifyConfig,
  progress: VerifyProgress,
): Promise<VerifyResult> {
  const started = performance.now();
  const tally = new Tally(config.maxRemembered ?? 100_000);
  // Source keys found on the target too (whatever their state): what DBSIZE of the target must equal;
  // and keys the source pass saw (a key SCAN returned twice counts twice). Carried over by a resume.
  const counts = config.resume ? { ...config.resume.counts } : emptyCounts();
  tally.carry(counts);
  let next = 0;
  const pick = <T>(list: T[]) => list[next++ % list.length];

  const scanners = connections.sourceScanners;
  const from = startOf(config.resume?.cursor, scanners.length);
  for (let i = from.index; i < scanners.length && !config.resume?.done && !config.signal?.aborted; i++) {
    const start = i === from.index ? from.cursor : "0";
    await runBatches(scanned(scanners[i], config.scan, start), config, async (all) => {
      if (all.length === 0) return { checked: NOTHING_CHECKED, skipped: 0, seen: 0 };
      const source = pick(connections.sources);
      const keys = config.memLimit === undefined ? all : await underLimit(source, all, config.memLimit);
      const checked = await checkKeys(source, pick(connections.targets), keys, config);
      progress.checked += all.length;
      return { checked, skipped: all.length - keys.length, seen: all.length };
    }, {
      start,
      // In SCAN order, so that the counts at a cursor are exactly those of the keys before it.
      commit: (batch, cursor) => {
        tally.add(batch.checked);
        addCounts(counts, batch);
        config.onPosition?.({ ...positionOf(i, cursor, scanners.length), counts: { ...counts } });
      },
    });
  }
  const { onBoth, seen, skipped } = counts;
  const whole = unfiltered(config);
  const [targetSize, sourceSize] = whole
    ? await Promise.all([dbSizeOf(connections.targetScanners), dbSizeOf(connections.sourceScanners)])
    : [undefined, undefined];
  const targetPassSkipped = targetSize !== undefined && targetSize === onBoth && sourceSize === seen;
  if (targetPassSkipped) {
    config.log?.debug(
      `Verification: the target was not scanned for keys only there: its DBSIZE (${targetSize}) equals ` +
        `the source keys found on it, and the source pass saw each of its ${sourceSize} keys once`,
    );
  } else if (whole) {
    config.log?.debug(
      `Verification: scanning the target for keys only there: DBSIZE ${targetSize ?? "?"} on the target, ` +
        `${onBoth} source keys found on it; ${seen} keys seen on the source, DBSIZE ${sourceSize ?? "?"}`,
    );
  }
  for (const targetScanner of targetPassSkipped ? [] : connections.targetScanners) {
    if (config.signal?.aborted) break;
    const targetConfig = config.keyMap ? { ...config, scan: { count: config.scan.count } } : config;
    await runBatches(scanned(targetScanner, targetConfig.scan), config, async (keys) => {
      if (keys.length === 0) return;
      const checked = await checkTargetKeys(
        pick(connections.sources),
        pick(connections.targets),
        keys,
        config,
      );
      tally.add(checked);
    }, { commit: () => {} });
  }
  const rounds = await recheck(tally, connections, config, pick);
  return {
    ...tally.counts,
    skipped,
    diffs: tally.diffs,
    rounds,
    seconds: (performance.now() - started) / 1000,
    targetPassSkipped,
    stopped: config.signal?.aborted,
  };
}

/** Verify only `keys` (the keys a liveonly run copied), in batches. */
export async function verifyKeys(
  connections: VerifyConnections,
  keys: Uint8Array[],
  config: VerifyConfig,
  progress: VerifyProgress = { checked: 0 },
): Promise<VerifyResult> {
  const started = performance.now();
  const tally = new Tally(config.maxRemembered ?? 100_000);
  let next = 0;
  const pick = <T>(list: T[]) => list[next++ % list.length];
  for (let at = 0; at < keys.length && !config.signal?.aborted; at += config.batch) {
    const slice = keys.slice(at, at + config.batch);
    tally.add(await checkKeys(pick(connections.sources), pick(connections.targets), slice, config));
    progress.checked += slice.length;
  }
  const rounds = await recheck(tally, connections, config, pick);
  return {
    ...tally.counts,
    skipped: 0,
    diffs: tally.diffs,
    rounds,
    seconds: (performance.now() - started) / 1000,
    stopped: config.signal?.aborted,
  };
}

/** Adds one source batch's outcome to the checkpoint counts. */
function addCounts(counts: VerifyCounts, batch: { checked: Checked; skipped: number; seen: number }): void {
  counts.ok += batch.checked.ok;
  counts.expired += batch.checked.expired;
  counts.onBoth += batch.checked.onBoth;
  counts.skipped += batch.skipped;
  counts.seen += batch.seen;
  for (const diff of batch.checked.found) counts[counter(diff)]++;
}

/** Counts and remembered diffs of a verification. */
class Tally {
  readonly counts = { ok: 0, value: 0, missing: 0, extra: 0, ttl: 0, expired: 0, unstable: 0 };
  diffs: Diff[] = [];
  constructor(private readonly limit: number) {}

  /** Counts of an earlier run (resumed): counted, but their keys are not known any more. */
  carry(counts: VerifyCounts): void {
    for (const name of ["ok", "value", "missing", "extra", "ttl", "expired", "unstable"] as const) {
      this.counts[name] += counts[name] ?? 0;
    }
  }

  add(checked: Checked): void {
    this.counts.ok += checked.ok;
    this.counts.expired += checked.expired;
    for (const diff of checked.found) {
      this.counts[counter(diff)]++;
      if (this.diffs.length < this.limit) this.diffs.push(diff);
    }
  }
}

function counter(diff: Diff): "value" | "missing" | "extra" | "ttl" | "unstable" {
  return diff.kind === "type" ? "value" : diff.kind === "module" ? "unstable" : diff.kind;
}

/** Re-check remembered diffs after a pause, up to `config.rounds` rounds in all; returns the rounds run. */
async function recheck(
  tally: Tally,
  connections: VerifyConnections,
  config: VerifyConfig,
  pick: <T>(list: T[]) => T,
): Promise<number> {
  let rounds = 1;
  while (rounds < config.rounds && tally.diffs.length > 0 && !config.signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, config.pauseMs));
    rounds++;
    const again: Diff[] = [];
    for (let i = 0; i < tally.diffs.length; i += config.batch) {
      const slice = tally.diffs.slice(i, i + config.batch);
      for (const diff of slice) tally.counts[counter(diff)]--;
      const checked = await recheckSlice(slice, pick(connections.sources), pick(connections.targets), config);
      tally.counts.ok += checked.ok;
      tally.counts.expired += checked.expired;
      for (const diff of checked.found) tally.counts[counter(diff)]++;
      again.push(...checked.found);
    }
    tally.diffs = again;
  }
  return rounds;
}

/** DBSIZE summed over the scanners (the masters of a cluster); undefined when any refuses it. */
async function dbSizeOf(scanners: Commands[]): Promise<number | undefined> {
  let total = 0;
  for (const connection of scanners) {
    try {
      const reply = await connection.call("DBSIZE");
      if (typeof reply !== "number") return undefined;
      total += reply;
    } catch {
      return undefined;
    }
  }
  return total;
}

/**
 * A verification position over several scanners (the masters of a cluster, scanned one after another):
 * `index/cursor`. With one scanner the position is the plain SCAN cursor, as before.
 */
function positionOf(index: number, cursor: string, scanners: number): { cursor: string; done: boolean } {
  if (scanners === 1) return { cursor, done: cursor === "0" };
  const last = index === scanners - 1;
  if (cursor === "0") {
    return last ? { cursor: `${index}/0`, done: true } : { cursor: `${index + 1}/0`, done: false };
  }
  return { cursor: `${index}/${cursor}`, done: false };
}

/** Where a resumed source pass starts: the scanner and its cursor (see positionOf). */
function startOf(position: string | undefined, scanners: number): { index: number; cursor: string } {
  if (position === undefined) return { index: 0, cursor: "0" };
  if (scanners === 1) return { index: 0, cursor: position };
  const match = /^(\d+)\/(\d+)$/.exec(position);
  if (!match || Number(match[1]) >= scanners) return { index: 0, cursor: "0" };
  return { index: Number(match[1]), cursor: match[2] };
}

/** The keys whose MEMORY USAGE is at most `limit` (the copy skipped the others on purpose). */
async function underLimit(source: Commands, keys: Uint8Array[], limit: number): Promise<Uint8Array[]> {
  const usage = await source.pipelineKeys([["MEMORY", "USAGE"]], keys);
  return keys.filter((_, i) => !(typeof usage[i] === "number" && (usage[i] as number) > limit));
}
