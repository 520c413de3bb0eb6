/**
 * One replication job, wiring only: open both endpoints; refuse a copy onto itself; in live modes check
 * notifications and subscribe first; copy the snapshot through the transfer engine (from a checkpoint's
 * cursor when there is one); follow changes until idle or stopped; verify; with `converge`, re-copy the
 * differing keys through the same engine and verify again. The UI watches `stats`, `phase` and `follower`;
 * nothing here prints except through `log`.
 *
 * `stop()` (the first SIGINT/SIGTERM): during the snapshot the copy stops at a batch boundary, in-flight
 * writes finish, the checkpoint is saved and the job ends without verifying (`outcome.stopped`); during the
 * live phase it ends the live phase and verifies; during the verification it ends the verification early.
 */
import type { Log } from "../log.ts";
import { KeyListSource } from "../sources/key_list.ts";
import { LoggedSource } from "../sources/logged_source.ts";
import { KeyLog } from "../pipeline/key_log.ts";
import { LiveFollower } from "../live/follower.ts";
import { RateLimit } from "../pipeline/rate.ts";
import { AdaptiveWindow } from "../pipeline/window.ts";
import type { KeySource, Reader, Writer } from "../pipeline/stages.ts";
import { ReplicationStats } from "../pipeline/stats.ts";
import { transfer, type TransferConfig } from "../pipeline/transfer.ts";
import { supportsExpireTime } from "../readers/dump_reader.ts";
import { Endpoint } from "../redis/endpoint.ts";
import { OptionError } from "../redis/options.ts";
import type { ServerEndpoint } from "../redis/server_endpoint.ts";
import type { KeyMap } from "../sources/key_map.ts";
import {
  type CompareMode,
  type Diff,
  differs,
  verify,
  type VerifyConfig,
  verifyKeys,
} from "../verify/verify.ts";
import { pruneTarget } from "../writers/prune.ts";
import { Checkpoint, type CheckpointScope } from "./checkpoint.ts";
import { ChangedKeys } from "./changed_keys.ts";
import { followSentinelMaster } from "./sentinel_follow.ts";
import { openSide, scanAll, sumDbSize, verifyConnectionsOf } from "./sides.ts";
import { CopyStages } from "./copy_stages.ts";
import type { Phase, ReplicationConfig, ReplicationOutcome } from "./replication_config.ts";
import { targetRestartCheck } from "./target_restarts.ts";

export type { Phase, ReplicationConfig, ReplicationMode, ReplicationOutcome } from "./replication_config.ts";

const CHECKPOINT_EVERY_MS = 2000;
/**
 * Key bytes (plus 4 per key) a snapshot copy may log so that its verification checks the same keys without
 * scanning the source again (about 2 M keys of 10 bytes); a bigger source is scanned again as before.
 */
const KEY_LOG_BYTES = 32 << 20;
/** Copies started over after target restarts before the run gives up on starting over. */
const TARGET_RESTART_ATTEMPTS = 5;

export class ReplicationJob {
  readonly stats = new ReplicationStats();
  phase: Phase = "connecting";
  follower: LiveFollower | undefined;
  /** Key total for progress (DBSIZE of the source), and whether filters make it an estimate. */
  total: number | undefined;
  readonly verifyProgress = { checked: 0 };
  private stopRequested: Phase | undefined;
  private readonly copyStop = new AbortController();
  private readonly verifyStop = new AbortController();
  private source!: ServerEndpoint;
  private target!: ServerEndpoint;
  private expireTime = { source: true, target: true };
  private rate: RateLimit | undefined;
  /** The read window of live batches and converge rounds, kept from one batch to the next. */
  private batchWindow: AdaptiveWindow | undefined;
  private readonly stages: CopyStages;
  /** The keys the snapshot copy scanned, for its verification (see keyLogFor). */
  private keyLog: KeyLog | undefined;

  constructor(private readonly config: ReplicationConfig, private readonly log: Log) {
    this.stages = new CopyStages(
      {
        fallback: config.fallback ?? true,
        struct: config.struct ?? false,
        dryRun: config.dryRun,
        memLimit: config.memLimit,
        bigKeyThreshold: config.bigKeyThreshold,
        noTtl: config.noTtl ?? false,
        keyMap: config.keyMap,
        streams: config.streams,
      },
      this.stats,
      log,
    );
  }

  stop(): void {
    if (this.stopRequested !== undefined) return;
    this.stopRequested = this.phase;
    this.copyStop.abort();
    this.follower?.stop();
    if (this.phase === "verifying" || this.phase === "converging") this.verifyStop.abort();
  }

  async run(): Promise<ReplicationOutcome> {
    const config = this.config;
    const cleanups: (() => Promise<void> | void)[] = [];
    try {
      this.source = await openSide(config.source, "source", config.threads, config.sentinel?.source, {
        readFrom: config.readFrom,
        flag: config.clusterFlags?.source,
        side: "source",
      });
      cleanups.push(() => this.source.close());
      this.target = await openSide(config.target, "target", config.threads, config.sentinel?.target, {
        flag: config.clusterFlags?.target,
        side: "target",
      });
      cleanups.push(() => this.target.close());
      refuseSelfCopy(this.source, this.target);
      this.log.info(`Source ${describe(this.source)}; target ${describe(this.target)}`);
      const [source, target] = await Promise.all([
        supportsExpireTime(this.source.control),
        supportsExpireTime(this.target.control),
      ]);
      this.expireTime = { source, target };
      await this.stages.prepare(this.source, this.target, source);
      if (config.rate !== undefined) this.rate = new RateLimit(config.rate, this.copyStop.signal);
      this.total = await sumDbSize(this.source.scanNodes(config.slots));

      const checkpoint = config.checkpoint
        ? await Checkpoint.open(config.checkpoint, this.scope())
        : undefined;
      const outcome: ReplicationOutcome = {
        stats: this.stats,
        converged: 0,
        resumed: checkpoint?.resumed ?? false,
        writtenBefore: checkpoint?.resumed ? checkpoint.counters.written ?? 0 : 0,
      };
      if (checkpoint) outcome.checkpoint = checkpoint.path;
      const changed = config.mode === "liveonly" ? new ChangedKeys() : undefined;

      if (config.mode !== "snapshot" && config.live) {
        this.follower = new LiveFollower(this.source, {
          ...config.live,
          batch: config.batch,
          scan: config.scan,
          retry: config.retry,
          parallel: 2 * config.threads,
        }, {
          copyKeys: (keys) => {
            changed?.add(keys);
            return this.copyKeys(keys);
          },
          rescan: () => this.rescan(),
          checkTarget: targetRestartCheck(() => this.target, config.retry, this.copyStop.signal),
        }, this.log);
        cleanups.push(() => this.follower!.close());
        await this.follower.subscribe();
        cleanups.push(this.followSentinels());
      }

      if (config.mode !== "liveonly") {
        this.phase = "copying";
        if (checkpoint?.resumed && config.mode === "live") {
          this.log.warn(
            "Resuming a live run: changes made while it was stopped sent no events, so it re-scans everything",
          );
        }
        const stopped = await this.copySnapshot(config.mode === "live" ? undefined : checkpoint);
        this.stats.copySeconds = this.stats.elapsedSeconds;
        this.stats.copyWritten = this.stats.written;
        if (stopped) {
          outcome.stopped = "copying";
          return outcome;
        }
      }

      if (this.follower) {
        this.phase = "live";
        if (this.stopRequested === undefined) await this.follower.follow();
        outcome.live = {
          events: this.follower.live.events,
          rescans: this.follower.live.rescans,
          lagP50: this.follower.live.lag.percentile(50),
          lagP99: this.follower.live.lag.percentile(99),
        };
      }

      if (config.compare !== "none" && !config.dryRun) {
        this.phase = "verifying";
        await this.reconnect(); // a connection lost since the last write is reopened before verifying
        if (this.stopRequested !== undefined && this.stopRequested !== "live") this.verifyStop.abort();
        const runVerify = () =>
          changed ? verifyKeys(this.verifyConnections(), changed.keys(), this.verifyConfig()) : verify(
            this.verifyConnections(),
            this.verifyConfig(),
            this.verifyProgress,
          );
        outcome.verified = changed ? "changed" : "all";
        outcome.verify = await runVerify();
        for (
          let round = 1;
          round <= config.converge && differs(outcome.verify) && !outcome.verify.stopped;
          round++
        ) {
          this.phase = "converging";
          const { keys, targetOnly } = convergeWork(outcome.verify.diffs, config.keyMap);
          this.log.warn(
            `Converge round ${round}: re-copying ${keys.length + targetOnly.length} differing key(s)`,
          );
          await this.copyKeys(keys);
          if (targetOnly.length > 0) await this.target.worker(0).pipelineKeys([["DEL"]], targetOnly);
          outcome.converged = round;
          this.phase = "verifying";
          outcome.verify = await runVerify();
        }
        if (outcome.verify.stopped) outcome.stopped = "verifying";
      }
      if (
        checkpoint && !outcome.stopped && this.stats.failed === 0 &&
        !(outcome.verify && differs(outcome.verify))
      ) {
        checkpoint.markComplete();
        await checkpoint.save();
      }
      this.phase = "done";
      return outcome;
    } finally {
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          this.log.warn(`Cleanup failed: ${(error as Error).message}`);
        }
      }
    }
  }

  /**
   * The snapshot copy (from the checkpoint's cursor of each node when one is given, else from the start);
   * true when stop() ended it before the end.
   */
  private async copySnapshot(checkpoint?: Checkpoint): Promise<boolean> {
    let cursors = (node: string) => checkpoint ? checkpoint.cursorOf(node) : "0";
    const nodes = this.source.scanNodes(this.config.slots).map((node) => node.name);
    if (nodes.every((node) => cursors(node) === undefined)) {
      this.log.warn("The checkpoint says the snapshot copy is complete: nothing to copy");
      return false;
    }
    for (const node of nodes) {
      const cursor = cursors(node);
      if (cursor !== undefined && cursor !== "0") {
        this.log.warn(
          `Resuming the copy${node ? ` of ${node}` : ""} from SCAN cursor ${cursor} (checkpoint ${
            checkpoint!.path
          })`,
        );
      }
    }
    // The checkpoint counts every run of the copy: what the runs before wrote plus this run.
    const before = checkpoint?.resumed ? { ...checkpoint.counters } : {};
    const counters = () => ({
      written: (before.written ?? 0) + this.stats.written,
      vanished: (before.vanished ?? 0) + this.stats.vanished,
      failed: (before.failed ?? 0) + this.stats.failed,
    });
    checkpoint?.autosave(CHECKPOINT_EVERY_MS, counters);
    try {
      for (let attempt = 1;; attempt++) {
        const restarts = this.target.restarts;
        this.keyLog = this.keyLogFor(nodes.every((node) => cursors(node) === "0"));
        const scan = this.scanSource(cursors);
        const result = await transfer(
          {
            source: this.keyLog ? new LoggedSource(scan, this.keyLog) : scan,
            readers: this.readers(),
            writers: this.writers(),
            reconnect: this.reconnect,
          },
          {
            ...this.transferConfig(),
            signal: this.copyStop.signal,
            onPosition: (position) => checkpoint?.advance(position),
          },
          this.stats,
        );
        // A cluster's nodes reconnect on their own: read every master's run_id once the copy is done.
        if (this.target.isCluster && !result.stopped) await this.target.reconnect().catch(() => {});
        if (result.stopped || this.target.restarts === restarts || attempt >= TARGET_RESTART_ATTEMPTS) {
          return result.stopped;
        }
        // A restarted target may have lost every key written before: start the copy over.
        this.log.warn(
          "The target restarted during the copy (its run_id changed): copying again from the start",
        );
        cursors = () => "0";
      }
    } finally {
      checkpoint?.stop();
      if (checkpoint) {
        checkpoint.setCounters(counters());
        await checkpoint.save();
      }
    }
  }

  /**
   * A log of the keys a snapshot copy scans, when its verification can use it instead of a second SCAN of
   * the source: a snapshot run (nothing changes keys behind the copy's back on purpose) that copies from
   * the start, verifies afterwards, and has no filter (DBSIZE must count exactly the verified keys).
   */
  private keyLogFor(fromStart: boolean): KeyLog | undefined {
    const config = this.config;
    const filtered = config.scan.pattern !== undefined || config.scan.type !== undefined ||
      config.scan.filter !== undefined || config.memLimit !== undefined || config.slots !== undefined;
    if (config.mode !== "snapshot" || config.compare === "none" || config.dryRun || filtered || !fromStart) {
      return undefined;
    }
    return new KeyLog(KEY_LOG_BYTES);
  }

  /**
   * Live mode with sides given as sentinel services: follow their failovers in the background (see
   * sentinel_follow.ts); returns the cleanup that stops following.
   */
  private followSentinels(): () => Promise<void> {
    const stop = new AbortController();
    const running: Promise<void>[] = [];
    const sides = [[this.config.sentinel?.source, this.source], [
      this.config.sentinel?.target,
      this.target,
    ]] as const;
    for (const [sentinel, side] of sides) {
      if (!sentinel || !(side instanceof Endpoint)) continue;
      running.push(followSentinelMaster(
        sentinel,
        side,
        async () => {
          if (side === this.source) await this.follower!.resubscribe("the source's master changed");
          else this.follower!.requestRescan("the target's master changed");
        },
        stop.signal,
        this.log,
      ));
    }
    return async () => {
      stop.abort();
      await Promise.all(running);
    };
  }

  /** Copy these keys through the engine (a live batch, a converge round). */
  private async copyKeys(keys: Uint8Array[]): Promise<void> {
    await this.rate?.take(keys.length);
    this.batchWindow ??= new AdaptiveWindow(
      this.config.batch,
      Math.max(1, Math.floor(this.config.queueBytes / (2 * this.config.threads))),
    );
    await transfer(
      {
        source: new KeyListSource(keys, this.config.batch),
        readers: this.readers(),
        writers: this.writers(),
        reconnect: this.reconnect,
      },
      { ...this.transferConfig(), window: this.batchWindow },
      this.stats,
    );
  }

  /** A re-scan in live mode: copy every key again, then delete target keys the source no longer has. */
  private async rescan(): Promise<void> {
    await transfer(
      {
        source: this.scanSource(() => "0"),
        readers: this.readers(),
        writers: this.writers(),
        reconnect: this.reconnect,
      },
      this.transferConfig(),
      this.stats,
    );
    if (!this.config.dryRun) {
      for (const node of this.target.nodes()) {
        this.stats.vanished += await pruneTarget(
          node.commands,
          this.source.worker(0),
          this.target.worker(0),
          this.config.scan,
          this.config.keyMap,
        );
      }
    }
  }

  private readonly reconnect = async (): Promise<void> => {
    await this.source.reconnect();
    await this.target.reconnect();
  };

  /** One SCAN per node to read (one for a standalone server), from `cursorOf(node)`; done nodes skipped. */
  private scanSource(cursorOf: (node: string) => string | undefined): KeySource {
    return scanAll(this.source.scanNodes(this.config.slots), cursorOf, {
      scan: this.config.scan,
      retry: this.config.retry,
      reconnect: this.reconnect,
      log: this.log,
    }, this.stats);
  }

  private readers(): Reader[] {
    const type = this.phase === "live" ? this.config.scan.type : undefined;
    return this.stages.readers(this.source, this.expireTime.source, type);
  }

  private writers(): Writer[] {
    // After the first snapshot, a key may have changed type: its image under the old type goes.
    return this.stages.writers(this.source, this.target, this.phase !== "copying");
  }

  private transferConfig(): TransferConfig {
    const config = this.config;
    return {
      batch: config.batch,
      queueBatches: Math.max(2, Math.ceil(config.queueKeys / config.batch)),
      queueBytes: config.queueBytes,
      dryRun: config.dryRun,
      retry: config.retry,
      rate: this.phase === "copying" ? this.rate : undefined,
      // After stop(), live batches, re-scans and converge rounds still finish, but never wait out
      // retries against a server that is down.
      retrySignal: this.copyStop.signal,
      log: this.log,
    };
  }

  private verifyConnections() {
    return verifyConnectionsOf(this.source, this.target, this.config.slots);
  }

  private verifyConfig(): VerifyConfig {
    const config = this.config;
    return {
      mode: config.compare as CompareMode,
      ttlToleranceMs: config.ttlToleranceMs,
      ignoreTtl: config.noTtl,
      keyMap: config.keyMap,
      streamIds: !config.streams?.newIds,
      streamPrune: config.streams?.prune,
      scan: config.scan,
      batch: config.batch,
      rounds: config.rounds,
      pauseMs: this.follower ? 500 : 1000,
      memLimit: config.memLimit,
      sourceExpireTime: this.expireTime.source,
      targetExpireTime: this.expireTime.target,
      signal: this.verifyStop.signal,
      log: this.log,
      sourceKeys: this.keyLog,
    };
  }

  private scope(): CheckpointScope {
    return {
      source: this.source.name,
      target: this.target.name,
      db: `${this.config.source.db}->${this.config.target.db}`,
      filters: this.config.filtersText,
    };
  }
}

/**
 * Refuse a copy of a database onto itself, however the two were named (an alias, an IPv6 address, a second
 * port): the same run_id and the same database number. A live copy onto itself would feed its own writes
 * back as events forever.
 */
function refuseSelfCopy(source: ServerEndpoint, target: ServerEndpoint): void {
  const [a, b] = [source.serverRunId, target.serverRunId];
  if (a !== undefined && a === b && source.options.db === target.options.db) {
    throw new OptionError(
      `The source (${source.name}) and the target (${target.name}) are the same server and database ` +
        `(run_id ${a.slice(0, 12)}…, db ${source.options.db}): name another target or database (-n)`,
    );
  }
}

/**
 * What a converge round does with the differences: source keys are copied again; with --key-proc, a key
 * only in the target is a target name no source key maps to, so it is deleted by that name (a copy of it
 * would look for it on the source and delete its image instead).
 */
function convergeWork(
  diffs: Diff[],
  keyMap: KeyMap | undefined,
): { keys: Uint8Array[]; targetOnly: Uint8Array[] } {
  if (!keyMap) return { keys: diffs.map((diff) => diff.key), targetOnly: [] };
  return {
    keys: diffs.filter((diff) => diff.kind !== "extra").map((diff) => diff.key),
    targetOnly: diffs.filter((diff) => diff.kind === "extra").map((diff) => diff.key),
  };
}

function describe(server: ServerEndpoint): string {
  return `${server.name} (${server.description})`;
}
