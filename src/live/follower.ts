/**
 * The live phase: keyspace notifications -> de-duplicating ChangeQueue -> re-read (DUMP + expiry) ->
 * RESTORE, or DEL for keys gone from the source. Lost events are never dropped silently: a lost
 * subscription, a full queue, a flush or a restart of the source each log a warning, count a re-scan, and
 * run one (copy every key again, delete target keys the source no longer has).
 *
 * Ordering contract: batches are copied only while no scan runs, and a key is never in two batches at once,
 * so an older value never overwrites a newer one. Events that arrive during a scan wait in the queue.
 *
 * `follow()` returns when stopped (`stop()`, e.g. on SIGINT) or after `idleTimeoutMs` without events;
 * in-flight batches finish and the queue is drained first.
 */
import { toText } from "../../resp/mod.ts";
import type { RedisConnection } from "../redis/connection.ts";
import { ConnectionError } from "../redis/errors.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import type { Logger } from "../ui/log.ts";
import { LatencyStats } from "../pipeline/latency.ts";
import { readDumps } from "../readers/dump_reader.ts";
import type { ScanOptions } from "../sources/key_scanner.ts";
import { pruneTarget } from "../writers/prune.ts";
import { AdaptiveWindow } from "../pipeline/snapshot.ts";
import { writeRecords } from "../writers/restore_writer.ts";
import type { ReplicationStats } from "../pipeline/stats.ts";
import { type ChangedKey, ChangeQueue } from "./change_queue.ts";
import { LossWatch } from "./loss_watch.ts";
import { subscribeKeyspace, type Subscription } from "./subscriber.ts";

export interface LiveConfig {
  idleTimeoutMs?: number;
  flushIntervalMs: number;
  eventQueue: number;
  batch: number;
  scan: ScanOptions;
  memLimit?: number;
  expireTime: boolean;
  dryRun: boolean;
  /** Payload bytes one DUMP round trip should bring back at most (see AdaptiveWindow). */
  roundTripBytes: number;
}

export interface LiveConnections {
  /** For INFO polling and re-scan EXISTS checks. */
  control: RedisConnection;
  readers: RedisConnection[];
  writers: RedisConnection[];
  targetScanner: RedisConnection;
}

/** Counters of the live phase, read by progress and metrics. */
export class LiveStats {
  events = 0;
  applied = 0;
  rescans = 0;
  readonly lag = new LatencyStats();
}

const PROBE_PREFIX = new TextEncoder().encode("riot:probe:");
const IN_FLIGHT_BATCHES_PER_CONNECTION = 2;

export class LiveFollower {
  readonly queue: ChangeQueue;
  readonly live = new LiveStats();
  private subscription: Subscription | undefined;
  private rescanReason: string | undefined;
  private stopping = false;
  private fatal: Error | undefined;
  /** The first failure of a batch copy, raised by the follow loop (a batch task never rejects). */
  private batchFailure: unknown = undefined;
  private lastEventAt = performance.now();
  private readonly lossWatch: LossWatch;
  private readonly window: AdaptiveWindow;

  constructor(
    private readonly source: ConnectionOptions,
    private readonly connections: LiveConnections,
    private readonly config: LiveConfig,
    private readonly stats: ReplicationStats,
    private readonly log: Logger,
    /** Copies every key again (the snapshot copy); called for re-scans. */
    private readonly copyAll: () => Promise<void>,
    /** Replaces the source and target connections after one was lost; rejects when it gives up. */
    private readonly reconnect?: () => Promise<void>,
  ) {
    this.queue = new ChangeQueue(config.eventQueue);
    this.window = new AdaptiveWindow(config.batch, config.roundTripBytes);
    this.lossWatch = new LossWatch(() => this.connections.control);
  }

  /** Subscribe before anything is scanned, so that no change made during the snapshot is missed. */
  async subscribe(): Promise<void> {
    await this.lossWatch.start();
    this.subscription = await subscribeKeyspace(
      this.source,
      this.config.scan.pattern ?? "*",
      (key, event) => {
        this.onEvent(key, event);
      },
    );
    this.watchSubscription(this.subscription);
  }

  /** Ask for a re-scan (lost events); the reason is logged once when it starts. */
  requestRescan(reason: string): void {
    if (this.rescanReason === undefined) this.rescanReason = reason;
  }

  stop(): void {
    this.stopping = true;
  }

  async follow(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let turn = 0;
    let nextLossCheck = performance.now() + 1000;
    this.lastEventAt = performance.now();
    for (;;) {
      try {
        if (this.fatal) {
          await Promise.allSettled(inFlight);
          throw this.fatal;
        }
        if (this.batchFailure !== undefined) {
          const failure = this.batchFailure;
          this.batchFailure = undefined;
          throw failure;
        }
        if (performance.now() >= nextLossCheck) {
          nextLossCheck = performance.now() + 1000;
          const reason = await this.lossWatch.check();
          if (reason) this.requestRescan(reason);
        }
        if (this.rescanReason !== undefined) {
          await Promise.all(inFlight);
          await this.rescan();
          continue;
        }
        const idle = this.config.idleTimeoutMs !== undefined &&
          performance.now() - this.lastEventAt >= this.config.idleTimeoutMs;
        if ((this.stopping || idle) && this.queue.size === 0) {
          // A last look for silent losses (a flush since the previous check) before declaring the end.
          await Promise.all(inFlight);
          if (this.batchFailure !== undefined) continue;
          const reason = await this.lossWatch.check();
          nextLossCheck = performance.now() + 1000;
          if (reason === undefined) break;
          this.requestRescan(reason);
          continue;
        }
        const slots = Math.max(1, this.connections.writers.length * IN_FLIGHT_BATCHES_PER_CONNECTION);
        if (this.queue.size === 0 || inFlight.size >= slots) {
          if (inFlight.size >= slots) await Promise.race(inFlight);
          else await this.queue.waitForChange(100);
          continue;
        }
        // Let a batch fill for up to flushInterval, unless it is already full.
        if (this.queue.size < this.window.size && !this.stopping) {
          await this.queue.waitForChange(0);
          await new Promise((resolve) => setTimeout(resolve, this.config.flushIntervalMs));
        }
        const batch = this.queue.takeBatch(this.window.size);
        if (batch.length === 0) {
          await Promise.race([...inFlight, this.queue.waitForChange(100)]);
          continue;
        }
        const index = turn++;
        const task: Promise<void> = this.copyBatch(batch, index)
          .catch((error) => {
            this.batchFailure ??= error;
          })
          .finally(() => inFlight.delete(task));
        inFlight.add(task);
      } catch (error) {
        if (!(error instanceof ConnectionError) || this.reconnect === undefined || this.stopping) throw error;
        // A lost source or target connection: nothing written in flight can be trusted to have landed, and
        // changes made meanwhile left no events. Reconnect, then re-scan.
        await Promise.allSettled(inFlight);
        this.batchFailure = undefined;
        this.log.warn(`${error.message}; reconnecting`);
        await this.reconnect();
        await this.lossWatch.start();
        nextLossCheck = performance.now() + 1000;
        this.requestRescan(`the connection to ${error.endpoint} was lost`);
      }
    }
    await Promise.all(inFlight);
    this.subscription?.close();
  }

  private onEvent(key: Uint8Array, _event: string): void {
    this.live.events++;
    this.lastEventAt = performance.now();
    if (startsWith(key, PROBE_PREFIX)) return;
    if (this.config.scan.filter && !this.config.scan.filter(key)) return;
    if (!this.queue.add(key)) {
      this.requestRescan(`the event queue is full (--event-queue ${this.config.eventQueue} keys)`);
    }
  }

  private async copyBatch(batch: ChangedKey[], index: number): Promise<void> {
    const reader = this.connections.readers[index % this.connections.readers.length];
    const writer = this.connections.writers[index % this.connections.writers.length];
    try {
      let keys = batch.map((entry) => entry.key);
      if (this.config.scan.type !== undefined) keys = await this.ofType(reader, keys, this.config.scan.type);
      const read = await readDumps(reader, keys, {
        expireTime: this.config.expireTime,
        memLimit: this.config.memLimit,
      });
      let weight = 0;
      for (const record of read.records) weight += record.dump?.length ?? 0;
      this.window.observe(keys.length, weight);
      this.stats.roundTripBytes = Math.max(this.stats.roundTripBytes, weight);
      this.stats.read += read.records.length;
      this.stats.addSkipped(read.skipped);
      this.stats.addFailures(read.failures);
      if (this.config.dryRun) return;
      const result = await writeRecords(writer, read.records);
      this.stats.written += result.written;
      this.stats.vanished += result.deleted;
      this.stats.bytes += result.bytes;
      this.stats.addFailures(result.failures);
      const now = performance.now();
      this.live.applied += batch.length;
      for (const entry of batch) this.live.lag.add(now - entry.since);
    } finally {
      this.queue.done(batch);
    }
  }

  /** Keys of `type` (as --key-type asks), plus keys gone from the source (deleted on the target). */
  private async ofType(reader: RedisConnection, keys: Uint8Array[], type: string): Promise<Uint8Array[]> {
    const types = await reader.pipeline(keys.map((key) => ["TYPE", key]));
    return keys.filter((_, i) => {
      const name = toText(types[i]);
      return name === type || name === "none";
    });
  }

  private async rescan(): Promise<void> {
    const reason = this.rescanReason!;
    this.rescanReason = undefined;
    this.live.rescans++;
    this.log.warn(`Events may have been lost: ${reason}. Re-scanning the source to repair the target.`);
    this.queue.clear();
    await this.copyAll();
    if (!this.config.dryRun) {
      const deleted = await pruneTarget(
        this.connections.targetScanner,
        this.connections.control,
        this.connections.writers[0],
        this.config.scan,
      );
      this.stats.vanished += deleted;
    }
    this.log.warn(`Re-scan ${this.live.rescans} done.`);
  }

  private watchSubscription(subscription: Subscription): void {
    subscription.lost.then(async (error) => {
      if (this.stopping) return;
      this.log.warn(`Lost the notification connection (${error.message}); re-subscribing.`);
      for (let attempt = 1;; attempt++) {
        try {
          this.subscription = await subscribeKeyspace(
            this.source,
            this.config.scan.pattern ?? "*",
            (key, event) => {
              this.onEvent(key, event);
            },
          );
          this.watchSubscription(this.subscription);
          this.requestRescan("the notification connection was lost");
          return;
        } catch (retryError) {
          if (this.stopping) return;
          if (attempt >= 30) {
            this.fatal = new Error(
              `Cannot re-subscribe to keyspace notifications after ${attempt} attempts (${
                (retryError as Error).message
              }): live replication stops rather than miss changes. Run it again when the source is reachable.`,
            );
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    });
  }
}

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}
