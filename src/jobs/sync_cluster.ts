/**
 * `replicate --mode sync` from a cluster source (-c): one replication link per master, each a SyncJob
 * (sync.ts) of its own with the master as its source. Each master has its own replication id and offset,
 * its own snapshot and stream, its own marker key on the target (exactly once per master) and its own
 * entry in the checkpoint (sync_checkpoint.ts). Keys of different masters are in different slots, so their
 * streams are independent: the links run concurrently, each keeping its master's order. Counters are
 * shared (one ReplicationStats), the outcome sums over masters and lists each.
 *
 * - `--idle-timeout`: the run ends once every link is streaming and none has brought a write for that long;
 *   `stop()` (signals) ends every link. Then the verification runs once over the whole cluster.
 * - Topology changes: the topology is read again every second; a master that is no longer a master
 *   (failover, failure, removal), a new master or slots that moved between masters (resharding: keys then
 *   travel from one stream to another, whose relative order riot cannot know) stop every link, and the
 *   outcome says what changed (`topologyChanged`) without verifying. The checkpoint keeps each link's
 *   position, so the next run (on the new topology) continues by offset where it can: a master with no
 *   entry whose master_replid2 is the replid of a master that is gone (a promoted replica, psync2) takes
 *   that entry over.
 * - A link that fails for good (its retries exhausted) stops the others; the run rejects with its error.
 */
import { toText } from "../../resp/mod.ts";
import type { Log } from "../log.ts";
import { ReplicationStats } from "../pipeline/stats.ts";
import { ClusterEndpoint } from "../redis/cluster/cluster_endpoint.ts";
import { formatSlotRanges, mergeRanges } from "../redis/cluster/slots.ts";
import type { Topology } from "../redis/cluster/topology.ts";
import { openEndpoint } from "../redis/open_endpoint.ts";
import { describeEndpoint } from "../redis/options.ts";
import { type MasterOutcome, type SyncConfig, SyncJob, type SyncOutcome, type SyncPhase } from "./sync.ts";
import { ClusterPositionFile } from "./sync_checkpoint.ts";
import { verifySync } from "./sync_verify.ts";

const IDLE_CHECK_MS = 100;
const TOPOLOGY_CHECK_MS = 1000;

interface Link {
  master: string;
  job: SyncJob;
}

export class ClusterSyncJob {
  readonly stats = new ReplicationStats();
  /** What changed in the cluster's topology, when it did (the run then stopped). */
  topologyChanged: string | undefined;
  private links: Link[] = [];
  private ownPhase: SyncPhase | undefined = "connecting";
  private stopping = false;

  constructor(private readonly config: SyncConfig, private readonly log: Log) {}

  stop(): void {
    this.stopping = true;
    for (const { job } of this.links) job.stop();
  }

  /** "snapshot" while any link copies one, "connecting" while any connects, else "streaming". */
  get phase(): SyncPhase {
    if (this.ownPhase) return this.ownPhase;
    const phases = this.links.map(({ job }) => job.phase);
    return phases.includes("snapshot")
      ? "snapshot"
      : phases.includes("connecting")
      ? "connecting"
      : "streaming";
  }

  get commands(): number {
    return this.links.reduce((sum, { job }) => sum + job.commands, 0);
  }

  /** Each link's acknowledged offset, in the order of the masters. */
  get offset(): string {
    return this.links.map(({ job }) => job.offset).join(", ");
  }

  async run(): Promise<SyncOutcome> {
    const config = this.config;
    const source = await ClusterEndpoint.open(config.source, "source", 1, { flag: "-c" });
    let settled: PromiseSettledResult<SyncOutcome>[];
    try {
      const before = slotOwners(source.connection.topology);
      const positions = config.checkpoint ? await ClusterPositionFile.open(config.checkpoint) : undefined;
      if (positions) await this.takeOvers(source, positions, [...before.keys()]);
      this.links = source.connection.masters().filter((node) => before.has(node.endpoint)).map((node) => ({
        master: node.endpoint,
        job: new SyncJob({
          ...config,
          source: { ...node.options, cluster: false },
          compare: "none",
          idleTimeoutMs: undefined,
          checkpoint: undefined,
          positions: positions?.forMaster(node.endpoint),
          stats: this.stats,
        }, this.log),
      }));
      this.log.info(`Cluster source: one replication link per master (${[...before.keys()].join(", ")})`);
      this.ownPhase = undefined;
      if (this.stopping) this.stop();
      const idle = setInterval(() => this.checkIdle(), IDLE_CHECK_MS);
      const topology = this.watchTopology(source, before);
      try {
        settled = await Promise.allSettled(this.links.map(({ job }) =>
          job.run().catch((error) => {
            this.stop();
            throw error;
          })
        ));
      } finally {
        clearInterval(idle);
        topology.close();
      }
    } finally {
      source.close();
    }
    const failed = settled.find((result) => result.status === "rejected");
    if (failed && !this.topologyChanged) throw (failed as PromiseRejectedResult).reason;
    const outcome = this.outcome(settled);
    if (config.compare !== "none" && !outcome.stopped && !outcome.topologyChanged) {
      this.ownPhase = "verifying";
      const target = await openEndpoint(config.target, "target", config.threads);
      try {
        outcome.verify = await verifySync(config, target, config.target.db ?? 0, config.compare);
      } finally {
        target.close();
      }
    }
    this.ownPhase = "done";
    return outcome;
  }

  /** Masters new to the checkpoint that took over a gone master's history continue its offset. */
  private async takeOvers(source: ClusterEndpoint, positions: ClusterPositionFile, current: string[]) {
    for (const node of source.connection.masters()) {
      if (!current.includes(node.endpoint) || positions.has(node.endpoint)) continue;
      const info = toText(await node.call("INFO", "replication").catch(() => ""));
      const replids = [...info.matchAll(/master_replid2?:(\w+)/g)].map((match) => match[1]);
      const old = positions.takeOver(node.endpoint, replids, current);
      if (old) {
        this.log.warn(`${node.endpoint} took over from ${old} (failover): continuing its offset there`);
      }
    }
  }

  private outcome(settled: PromiseSettledResult<SyncOutcome>[]): SyncOutcome {
    const outcomes = settled.map((result) => result.status === "fulfilled" ? result.value : undefined);
    const masters: MasterOutcome[] = this.links.map(({ master, job }) => ({
      master,
      replid: job.replid,
      offset: job.offset,
      commands: job.commands,
      fullSyncs: job.fullSyncs,
      partialResyncs: job.partialResyncs,
    }));
    return {
      stats: this.stats,
      masters,
      topologyChanged: this.topologyChanged,
      replid: "?",
      offset: -1,
      commands: this.commands,
      fullSyncs: masters.reduce((sum, master) => sum + master.fullSyncs, 0),
      partialResyncs: masters.reduce((sum, master) => sum + master.partialResyncs, 0),
      resumed: outcomes.some((outcome) => outcome?.resumed),
      stopped: outcomes.some((outcome) => outcome?.stopped),
    };
  }

  /** Ends every link once all stream and none brought a write for --idle-timeout. */
  private checkIdle(): void {
    const idle = this.config.idleTimeoutMs;
    if (idle === undefined || this.stopping) return;
    const jobs = this.links.map(({ job }) => job);
    if (!jobs.every((job) => job.phase === "streaming")) return;
    const last = Math.max(...jobs.map((job) => job.lastWriteAt));
    if (performance.now() - last >= idle) this.stop();
  }

  /** Reads the topology every second; a change stops every link (see the module comment). */
  private watchTopology(source: ClusterEndpoint, before: Map<string, string>): { close(): void } {
    let checking = false;
    const timer = setInterval(async () => {
      if (checking || this.stopping) return;
      checking = true;
      try {
        await source.connection.refresh();
        const change = describeChange(before, slotOwners(source.connection.topology));
        if (change && !this.stopping) {
          this.topologyChanged = change;
          this.stop();
        }
      } catch {
        // the topology could not be read this time (a node down): the next check tries again
      } finally {
        checking = false;
      }
    }, TOPOLOGY_CHECK_MS);
    return { close: () => clearInterval(timer) };
  }
}

/** Masters that own slots, each with its slot ranges as text: "host:port" -> "0-5460". */
export function slotOwners(topology: Topology): Map<string, string> {
  const owners = new Map<string, string>();
  for (const shard of topology.shards) {
    if (!shard.master || shard.slots.length === 0) continue;
    owners.set(describeEndpoint(shard.master), formatSlotRanges(mergeRanges(shard.slots)));
  }
  return owners;
}

/** What changed between two views of the masters and their slots; undefined when nothing did. */
export function describeChange(before: Map<string, string>, after: Map<string, string>): string | undefined {
  for (const [master, slots] of before) {
    const now = after.get(master);
    if (now === undefined) {
      return `${master} is no longer a master serving slots (failed over, failed or removed)`;
    }
    if (now !== slots) return `the slots of master ${master} changed from ${slots} to ${now} (resharding)`;
  }
  for (const [master, slots] of after) {
    if (!before.has(master)) return `${master} became a master, serving slots ${slots}`;
  }
  return undefined;
}
