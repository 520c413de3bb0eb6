/**
 * The live phase: keyspace notifications -> de-duplicating ChangeQueue -> batches copied through the
 * transfer engine (`copyKeys`). Lost events are never dropped silently: a lost subscription, a full queue,
 * a flush, a SWAPDB, a restart of the source or notifications turned off each log a warning, count a
 * re-scan, and run one (`rescan`: copy every key again, delete target keys the source no longer has).
 *
 * Ordering contract: batches are copied only while no re-scan runs, and a key is never in two batches at
 * once, so an older value never overwrites a newer one. Events that arrive during a re-scan wait.
 *
 * `follow()` returns when stopped (`stop()`, e.g. on SIGINT) or after `idleTimeoutMs` without events
 * (counted from the last event or the end of the last re-scan, whichever is later: silence while events
 * were being lost is not idleness);
 * in-flight batches finish and the queue is drained first. It rejects when a batch fails for good, when
 * notifications cannot be kept on (NotificationsError), or when re-subscribing fails for good.
 */
import type { Log } from "../log.ts";
import { LatencyStats } from "../pipeline/latency.ts";
import type { ServerEndpoint } from "../redis/server_endpoint.ts";
import { DEFAULT_RETRY, retry, type RetryPolicy, sleep } from "../retry.ts";
import type { ScanOptions } from "../sources/key_scanner.ts";
import { type ChangedKey, ChangeQueue } from "./change_queue.ts";
import { PROBE_PREFIX } from "./notify_guard.ts";
import { NodeWatch } from "./node_watch.ts";
import { subscribeKeyspace, SubscribeRefusedError, type Subscription } from "./subscriber.ts";

export interface LiveConfig {
  idleTimeoutMs?: number;
  flushIntervalMs: number;
  eventQueue: number;
  /** Most keys in one batch. */
  batch: number;
  scan: ScanOptions;
  configSet: boolean;
  retry?: RetryPolicy;
  /** Batches copied at the same time. */
  parallel: number;
}

export interface LiveCallbacks {
  /** Copy these keys (read on the source, write or delete on the target); rejects when it fails for good. */
  copyKeys(keys: Uint8Array[]): Promise<void>;
  /** Copy everything again and prune the target. */
  rescan(): Promise<void>;
  /** Checks the target (reconnecting when needed); a reason to re-scan when it lost data (a restart). */
  checkTarget?(): Promise<string | undefined>;
}

/** Counters of the live phase, read by progress and metrics. */
export class LiveStats {
  events = 0;
  applied = 0;
  rescans = 0;
  readonly lag = new LatencyStats();
}

const LOSS_CHECK_MS = 1000;
const NOTIFY_CHECK_MS = 3000;
const latin = new TextDecoder("latin1");
const PROBE_BYTES = new TextEncoder().encode(PROBE_PREFIX);

export class LiveFollower {
  readonly queue: ChangeQueue;
  readonly live = new LiveStats();
  private rescanReason: string | undefined;
  private stopping = false;
  /** Aborted by stop() and close(): retries against an unreachable source give up at once. */
  private readonly halt = new AbortController();
  private fatal: Error | undefined;
  private batchFailure: unknown = undefined;
  private lastEventAt = performance.now();
  /** One per source node (per master of a cluster); replaced when the masters change. */
  private watches: NodeWatch[] = [];
  /** The source's mastersVersion the watches were made for. */
  private mastersSeen = 0;
  private resubscribing: Promise<void> | undefined;

  constructor(
    private readonly source: ServerEndpoint,
    private readonly config: LiveConfig,
    private readonly callbacks: LiveCallbacks,
    private readonly log: Log,
  ) {
    this.queue = new ChangeQueue(config.eventQueue);
  }

  /**
   * Check notifications and subscribe (on every node) before anything is scanned, so no change made
   * meanwhile is missed.
   */
  async subscribe(): Promise<void> {
    this.mastersSeen = this.source.mastersVersion;
    this.watches = this.source.nodes().map((node) =>
      new NodeWatch(node, this.source.name, this.config.configSet, this.log)
    );
    const started = await Promise.allSettled(this.watches.map((watch) => this.watchNode(watch)));
    const failed = started.find((result) => result.status === "rejected");
    if (failed) {
      for (const watch of this.watches) watch.close();
      throw (failed as PromiseRejectedResult).reason;
    }
  }

  private async watchNode(watch: NodeWatch): Promise<void> {
    await watch.lossWatch.start();
    await watch.guard.check(false); // where CONFIG is refused, the probe needs the subscription first
    watch.subscription = await this.openSubscription(watch);
    if (watch.guard.usesProbes) await watch.guard.check();
  }

  /**
   * Subscribe again on the source's current nodes (the masters changed, or the source moved to another
   * master after a failover), then re-scan: events may have been lost in between.
   */
  resubscribe(reason: string): Promise<void> {
    this.resubscribing ??= (async () => {
      for (const watch of this.watches) watch.close();
      await this.withRetry(() => this.subscribe());
      this.requestRescan(reason);
    })().finally(() => (this.resubscribing = undefined));
    return this.resubscribing;
  }

  requestRescan(reason: string): void {
    if (this.rescanReason === undefined) this.rescanReason = reason;
  }

  stop(): void {
    this.stopping = true;
    this.halt.abort();
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.halt.abort();
    for (const watch of this.watches) watch.close();
    for (const watch of this.watches) {
      await watch.guard.restore().catch((error) =>
        this.log.warn(`Could not restore notify-keyspace-events: ${(error as Error).message}`)
      );
    }
  }

  async follow(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let nextLossCheck = performance.now() + LOSS_CHECK_MS;
    let nextNotifyCheck = performance.now() + NOTIFY_CHECK_MS;
    this.lastEventAt = performance.now();
    for (;;) {
      if (this.fatal) {
        await Promise.allSettled(inFlight);
        throw this.fatal;
      }
      if (this.batchFailure !== undefined) {
        await Promise.allSettled(inFlight);
        throw this.batchFailure;
      }
      const now = performance.now();
      if (now >= nextLossCheck) {
        nextLossCheck = now + LOSS_CHECK_MS;
        await this.checkLosses();
      }
      if (now >= nextNotifyCheck) {
        nextNotifyCheck = now + NOTIFY_CHECK_MS;
        for (const watch of this.watches) {
          const reason = await this.onNode(() => watch.guard.check(), watch);
          if (reason) this.requestRescan(reason);
        }
      }
      if (this.rescanReason !== undefined) {
        await Promise.all(inFlight);
        await this.rescan();
        continue;
      }
      const idle = this.config.idleTimeoutMs !== undefined &&
        performance.now() - this.lastEventAt >= this.config.idleTimeoutMs;
      if ((this.stopping || idle) && this.queue.size === 0) {
        // A last look for silent losses (a flush since the previous check) before declaring the end; a
        // change that arrived meanwhile is copied first.
        await Promise.all(inFlight);
        if (this.batchFailure !== undefined) continue;
        await this.checkLosses();
        nextLossCheck = performance.now() + LOSS_CHECK_MS;
        if (this.rescanReason === undefined && this.queue.size === 0) break;
        continue;
      }
      if (this.queue.size === 0 || inFlight.size >= this.config.parallel) {
        if (inFlight.size >= this.config.parallel) await Promise.race(inFlight);
        else await this.queue.waitForChange(100);
        continue;
      }
      // Let a batch fill for up to flushInterval, unless it is already full.
      if (this.queue.size < this.config.batch && !this.stopping) {
        await sleep(this.config.flushIntervalMs);
      }
      const batch = this.queue.takeBatch(this.config.batch);
      if (batch.length === 0) {
        await Promise.race([...inFlight, this.queue.waitForChange(100)]);
        continue;
      }
      const task: Promise<void> = this.copyBatch(batch)
        .catch((error) => {
          this.batchFailure ??= error;
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
    await Promise.all(inFlight);
  }

  private async checkLosses(): Promise<void> {
    if (this.source.mastersVersion !== this.mastersSeen) {
      await this.resubscribe("the source cluster's masters changed");
      return;
    }
    for (const watch of this.watches) {
      const reason = await this.onNode(() => watch.lossWatch.check(), watch);
      if (reason) this.requestRescan(watch.node.name ? `${reason} on ${watch.node.name}` : reason);
    }
    if (this.source.mastersVersion !== this.mastersSeen) {
      await this.resubscribe("the source cluster's masters changed");
    }
    const reason = await this.callbacks.checkTarget?.();
    if (reason) this.requestRescan(reason);
  }

  /**
   * A command on one node, retried like `withRetry`; undefined (not run) once the cluster's masters
   * changed, since the node may be gone for good: the caller then subscribes to the new masters. Also
   * undefined once `watch` was closed (replaced by a re-subscription, which re-scans): a node that left
   * the cluster is not retried until the retries run out and fail the run. The masters check alone does
   * not do: a re-subscription updates `mastersSeen`, and a loop over the old watches would then retry the
   * stopped master for a minute, holding up the re-scan.
   */
  private onNode<T>(run: () => Promise<T>, watch: NodeWatch): Promise<T | undefined> {
    return this.withRetry(() =>
      this.source.mastersVersion !== this.mastersSeen || watch.closed ? Promise.resolve(undefined) : run()
    );
  }

  /** A control command, retried over a lost connection (a restart shows up in the loss watch after). */
  private withRetry<T>(run: () => Promise<T>): Promise<T> {
    return retry(run, this.config.retry ?? DEFAULT_RETRY, {
      beforeRetry: () => this.source.reconnect(),
      signal: this.halt.signal,
      onRetry: (error, attempt, delay) =>
        this.log.warn(
          `${(error as Error).message}; reconnecting to the source (attempt ${attempt}) in ${delay} ms`,
        ),
    });
  }

  private onEvent(key: Uint8Array, _event: string): void {
    // riot's own probe keys are not the user's changes: they neither count nor keep an idle run alive.
    if (startsWith(key, PROBE_BYTES)) {
      for (const watch of this.watches) watch.guard.sawKey(latin.decode(key));
      return;
    }
    this.live.events++;
    this.lastEventAt = performance.now();
    if (this.config.scan.filter && !this.config.scan.filter(key)) return;
    if (!this.queue.add(key)) {
      this.requestRescan(`the event queue is full (--event-queue ${this.config.eventQueue} keys)`);
    }
  }

  private async copyBatch(batch: ChangedKey[]): Promise<void> {
    try {
      await this.callbacks.copyKeys(batch.map((entry) => entry.key));
      const now = performance.now();
      this.live.applied += batch.length;
      for (const entry of batch) this.live.lag.add(now - entry.since);
    } finally {
      this.queue.done(batch);
    }
  }

  private async rescan(): Promise<void> {
    const reason = this.rescanReason!;
    this.rescanReason = undefined;
    this.live.rescans++;
    this.log.warn(`Events may have been lost: ${reason}. Re-scanning the source to repair the target.`);
    this.queue.clear();
    await this.callbacks.rescan();
    // Idle means that long *listening* without a change: while events were being lost (the reason for this
    // re-scan) and while it ran, silence proved nothing, so the idle clock starts again now.
    this.lastEventAt = performance.now();
    this.log.warn(`Re-scan ${this.live.rescans} done.`);
  }

  private async openSubscription(watch: NodeWatch): Promise<Subscription> {
    const patterns = [this.config.scan.pattern ?? "*"];
    if (patterns[0] !== "*") patterns.push(`${PROBE_PREFIX}*`);
    const connection = await watch.node.dedicated("riot-events");
    const subscription = await subscribeKeyspace(
      connection,
      this.source.options.db,
      patterns,
      (key, event) => this.onEvent(key, event),
    );
    this.watchSubscription(watch, subscription);
    return subscription;
  }

  private watchSubscription(watch: NodeWatch, subscription: Subscription): void {
    subscription.lost.then(async (error) => {
      if (this.stopping || watch.closed) return;
      this.log.warn(`Lost the notification connection (${error.message}); re-subscribing.`);
      try {
        if (this.source.isCluster) await this.source.reconnect().catch(() => {});
        // On a cluster the master may be gone for good (a failover): follow the new masters instead.
        const reopened = await this.onNode(async () => {
          watch.subscription = await this.openSubscription(watch);
          return true;
        }, watch);
        if (watch.closed) {
          // Replaced meanwhile: the re-subscription that closed this watch subscribes and re-scans.
          if (reopened) watch.subscription?.close();
          return;
        }
        if (reopened === undefined) {
          await this.resubscribe("the source cluster's masters changed");
          return;
        }
        // Notifications may be off after a restart; the guard checks before the re-scan copies anything.
        await this.withRetry(() => watch.guard.check());
        this.requestRescan("the notification connection was lost");
      } catch (retryError) {
        if (this.stopping) return;
        this.fatal =
          retryError instanceof SubscribeRefusedError || (retryError as Error).name === "NotificationsError"
            ? retryError as Error
            : new Error(
              `Cannot re-subscribe to keyspace notifications (${
                (retryError as Error).message
              }): live replication ` +
                `stops rather than miss changes. Run it again when the source is reachable.`,
            );
      }
    });
  }
}

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}
