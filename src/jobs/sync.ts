/**
 * `replicate --mode sync`, wiring only: riot is a replica of the source (src/sync/replica_link.ts). A full
 * sync streams the snapshot through the transfer engine (the RDB file as a record source, RESTORE writers
 * with the type-based fallback when the target's RDB version is older: rdb_writers.ts);
 * then the write commands of the replication stream are applied to the target in order, on one connection,
 * in pipelined batches, and `REPLCONF ACK <offset>` is sent every second with the offset the target has
 * acknowledged. A lost replication connection continues with `PSYNC <replid> <offset+1>` (partial resync);
 * only when the source answers FULLRESYNC is the snapshot copied again (logged). The checkpoint file keeps
 * replid and offset, so a stopped run resumes the same way. `--idle-timeout` (no write commands for that
 * long) and `stop()` end the stream; then the usual verification runs.
 *
 * SELECT in the stream is followed (each key to its database) unless the target names a database (`db`),
 * then every write goes there. Commands the target refuses are counted and reported like refused keys.
 */
import { type Command, ErrorReply } from "../../resp/mod.ts";
import type { Log } from "../log.ts";
import { keyFailure } from "../pipeline/failure.ts";
import { ReplicationStats } from "../pipeline/stats.ts";
import { transfer } from "../pipeline/transfer.ts";
import type { ClusterConnection } from "../redis/cluster/cluster_connection.ts";
import { Endpoint } from "../redis/endpoint.ts";
import { openEndpoint } from "../redis/open_endpoint.ts";
import type { ServerEndpoint } from "../redis/server_endpoint.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import { retry, type RetryPolicy, sleep } from "../retry.ts";
import { RdbRecordSource } from "../sources/rdb_source.ts";
import { CommandTable } from "../sync/command_table.ts";
import { ClusterStreamApplier, notApplied } from "../sync/cluster_applier.ts";
import { StreamApplier } from "../sync/stream_applier.ts";
import { filterFailure, nameFilter, StreamFilter, type SyncKeyFilters } from "../sync/stream_filter.ts";

export type { SyncKeyFilters };
import { CommandStream, type StreamCommand } from "../sync/command_stream.ts";
import { ReplicaLink } from "../sync/replica_link.ts";
import type { CompareMode, VerifyResult } from "../verify/verify.ts";
import { rdbWriters } from "./rdb_writers.ts";
import { type PositionStore, singlePositionFile } from "./sync_checkpoint.ts";
import { verifySync } from "./sync_verify.ts";

export interface SyncConfig {
  source: ConnectionOptions;
  target: ConnectionOptions;
  /** The database every write goes to (the target named one), else each key keeps its database. */
  db?: number;
  threads: number;
  batch: number;
  queueBytes: number;
  retry: RetryPolicy;
  idleTimeoutMs?: number;
  checkpoint?: string;
  compare: CompareMode | "none";
  ttlToleranceMs: number;
  /**
   * Key filters (--key-pattern, --key-type, --key-include/--key-exclude, --key-slots): the snapshot's keys,
   * the stream's commands (src/sync/stream_filter.ts) and the verification all apply them.
   */
  keys?: SyncKeyFilters;
  /** Snapshot keys the target's RESTORE refuses (older RDB version) go by type; false: --no-fallback. */
  fallback: boolean;
  /** Where the position is kept (one master's entry of a cluster checkpoint); default: `checkpoint`. */
  positions?: PositionStore;
  /** Counters shared by the links of a cluster source; default: the job's own. */
  stats?: ReplicationStats;
  /** The target's cluster flag, named when the target is the wrong kind of server (two_servers.ts). */
  targetClusterFlag?: string;
}

export type SyncPhase = "connecting" | "snapshot" | "streaming" | "verifying" | "done";

export interface SyncOutcome {
  stats: ReplicationStats;
  /** A cluster source: each master's link (replid/offset/commands of the outcome are then totals or "?"). */
  masters?: MasterOutcome[];
  /** A cluster source whose topology changed: what happened (the run stopped, no verification). */
  topologyChanged?: string;
  replid: string;
  offset: number;
  commands: number;
  fullSyncs: number;
  partialResyncs: number;
  resumed: boolean;
  stopped: boolean;
  verify?: VerifyResult;
}

export interface MasterOutcome {
  master: string;
  replid: string;
  offset: number;
  commands: number;
  fullSyncs: number;
  partialResyncs: number;
}

const ACK_EVERY_MS = 1000;
const MAX_BATCH = 1000;
const encoder = new TextEncoder();
const NAME = (args: Uint8Array[]) => new TextDecoder().decode(args[0]).toUpperCase();

export class SyncJob {
  readonly stats: ReplicationStats;
  phase: SyncPhase = "connecting";
  /** When the stream last brought a write (or began): --idle-timeout counts from it. */
  lastWriteAt = performance.now();
  replid = "?";
  /** Offset of the last command the target acknowledged. */
  offset = -1;
  commands = 0;
  fullSyncs = 0;
  partialResyncs = 0;
  private readonly stopper = new AbortController();
  private target!: ServerEndpoint;
  private link: ReplicaLink | undefined;
  private db = 0;
  private stoppedInSnapshot = false;
  private applier: StreamApplier | undefined;
  /** On a cluster target, batches go by slot (src/sync/cluster_applier.ts) instead of through `applier`. */
  private clusterApplier: ClusterStreamApplier | undefined;
  private filter: StreamFilter | undefined;
  /** A plain connection to the source, for COMMAND and COMMAND GETKEYS (only with key filters). */
  private sourceCommands: Endpoint | undefined;
  private readonly positions: PositionStore | undefined;

  constructor(private readonly config: SyncConfig, private readonly log: Log) {
    this.stats = config.stats ?? new ReplicationStats();
    this.positions = config.positions ??
      (config.checkpoint ? singlePositionFile(config.checkpoint) : undefined);
  }

  stop(): void {
    this.stopper.abort();
  }

  async run(): Promise<SyncOutcome> {
    const config = this.config;
    this.target = await openEndpoint(config.target, "target", config.threads, {
      flag: config.targetClusterFlag,
      side: "target",
    });
    const saved = await this.readCheckpoint();
    const resumed = saved !== undefined;
    this.applier = new StreamApplier({
      connection: () => this.target.control,
      reconnect: () => this.target.reconnect(),
      retry: config.retry,
      markerDb: config.target.db ?? 0,
      marker: saved?.marker,
    });
    let ackTimer: ReturnType<typeof setInterval> | undefined;
    try {
      if (this.target.isCluster) this.clusterApplier = await this.clusterStreamApplier();
      else await this.applier.check();
      if (config.keys) this.filter = await this.streamFilter(config.keys);
      if (resumed && !this.clusterApplier) await this.resumeFromMarker();
      ackTimer = setInterval(() => this.acknowledge(), ACK_EVERY_MS);
      while (!this.stopper.signal.aborted) {
        const stream = await this.connect();
        if (!stream) break;
        this.phase = "streaming";
        this.acknowledge(); // at once, as a replica does after loading: the source starts the stream on it
        const lost = await this.follow(stream);
        if (!lost) break;
        this.log.warn(`${lost}; continuing with PSYNC ${this.replid} ${this.offset + 1}`);
        await sleep(200);
      }
    } finally {
      clearInterval(ackTimer);
      this.link?.close();
      this.sourceCommands?.close();
      await this.writeCheckpoint();
      await (this.clusterApplier ?? this.applier).clear().catch((error) =>
        this.log.warn(`Could not delete the marker key on the target (it expires in a day): ${error.message}`)
      );
    }
    const outcome: SyncOutcome = {
      stats: this.stats,
      replid: this.replid,
      offset: this.offset,
      commands: this.commands,
      fullSyncs: this.fullSyncs,
      partialResyncs: this.partialResyncs,
      resumed,
      stopped: this.stoppedInSnapshot,
    };
    try {
      if (config.compare !== "none" && !this.stoppedInSnapshot) {
        this.phase = "verifying";
        outcome.verify = await verifySync(config, this.target, config.target.db ?? 0, config.compare);
      }
    } finally {
      this.target.close();
      this.phase = "done";
    }
    return outcome;
  }

  /** A new link and PSYNC; a full sync copies the snapshot first. Undefined when stopped meanwhile. */
  private async connect(): Promise<CommandStream | undefined> {
    const link = this.link = await retry(() => ReplicaLink.open(this.config.source), this.config.retry, {
      onRetry: (error) => this.log.warn(`${(error as Error).message}: reconnecting to the source`),
    });
    const asked = this.replid === "?" ? -1 : this.offset + 1;
    const reply = await link.psync(this.replid, asked);
    if (reply.kind === "continue") {
      this.partialResyncs++;
      if (reply.replid) this.replid = reply.replid;
      this.log.info(
        `Partial resync of ${this.config.source.host}:${this.config.source.port} from offset ${asked}`,
      );
      return new CommandStream(link.reader, this.offset);
    }
    if (this.replid !== "?") {
      this.log.warn(
        `The source cannot serve offset ${asked} of ${this.replid} any more (its backlog moved on): full resync`,
      );
    }
    this.fullSyncs++;
    this.phase = "snapshot";
    await this.copySnapshot(link);
    if (this.stopper.signal.aborted) {
      this.stoppedInSnapshot = true;
      return undefined;
    }
    this.replid = reply.replid;
    this.offset = reply.offset;
    this.db = 0;
    await this.writeCheckpoint();
    return new CommandStream(link.reader, reply.offset);
  }

  private async copySnapshot(link: ReplicaLink): Promise<void> {
    const frame = await link.snapshotFrame();
    const holder: { source?: RdbRecordSource } = {};
    const bytes = link.snapshot(frame, () => holder.source!.done, () => holder.source!.rest());
    const keys = this.config.keys;
    const source = holder.source = new RdbRecordSource(bytes, {
      batch: this.config.batch,
      db: this.config.db,
      filter: keys && nameFilter(keys),
      types: keys?.type === undefined ? undefined : new Set([keys.type]),
    });
    const writers = await rdbWriters(this.target, {
      fallback: this.config.fallback,
      dryRun: false,
      stats: this.stats,
      log: this.log,
      selectedDb: this.config.target.db,
    });
    await transfer({ source, readers: [], writers, reconnect: () => this.target.reconnect() }, {
      batch: this.config.batch,
      queueBatches: 8,
      queueBytes: this.config.queueBytes,
      dryRun: false,
      retry: this.config.retry,
      signal: this.stopper.signal,
      log: this.log,
    }, this.stats);
    this.stats.copySeconds = this.stats.elapsedSeconds;
    this.stats.copyWritten = this.stats.written;
  }

  /**
   * Applies the stream until idle, stopped, or the link is lost (then returns why). Commands are sent in
   * batches of what has arrived; the offset moves only once the target answered a batch.
   */
  private async follow(stream: CommandStream): Promise<string | undefined> {
    let pending: Promise<StreamCommand | undefined> | undefined;
    this.lastWriteAt = performance.now();
    const stopped = new Promise<"stop">((resolve) => {
      if (this.stopper.signal.aborted) resolve("stop");
      this.stopper.signal.addEventListener("abort", () => resolve("stop"));
    });
    for (;;) {
      pending ??= stream.next();
      const idleLeft = this.config.idleTimeoutMs === undefined
        ? undefined
        : this.config.idleTimeoutMs - (performance.now() - this.lastWriteAt);
      if (idleLeft !== undefined && idleLeft <= 0) return undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = idleLeft === undefined
        ? new Promise<never>(() => {})
        : new Promise<"idle">((resolve) => timer = setTimeout(() => resolve("idle"), idleLeft));
      let first: StreamCommand | undefined | "idle" | "stop";
      try {
        first = await Promise.race([pending, idle, stopped]);
      } catch (error) {
        return `The replication link to ${this.config.source.host}:${this.config.source.port} failed: ${
          (error as Error).message
        }`;
      } finally {
        clearTimeout(timer);
      }
      if (first === "stop") return undefined;
      if (first === "idle") return undefined;
      pending = undefined;
      if (first === undefined) return this.closedLine();
      const batch = [first];
      let open = NAME(first.args) === "MULTI";
      for (let more = stream.buffered(); more; more = stream.buffered()) {
        batch.push(more);
        open = nextOpen(open, more);
        if (batch.length >= MAX_BATCH && !open) break;
      }
      try {
        // A source transaction is never cut between two batches: the target sees it whole or not at all.
        for (; open;) {
          const more = await stream.next();
          if (!more) return this.closedLine();
          batch.push(more);
          open = nextOpen(open, more);
        }
      } catch (error) {
        return `The replication link to ${this.config.source.host}:${this.config.source.port} failed: ${
          (error as Error).message
        }`;
      }
      if (await this.apply(batch)) this.lastWriteAt = performance.now();
    }
  }

  private closedLine(): string {
    return `The source ${this.config.source.host}:${this.config.source.port} closed the replication link`;
  }

  /**
   * Sends a batch to the target as one transaction (StreamApplier: applied exactly once, even when the
   * target connection is lost); true when it held a write. The stream's own MULTI/EXEC are left out (the
   * batch is a transaction already); the key filters decide per command (StreamFilter). GETACK is answered
   * after the batch.
   */
  private async apply(batch: StreamCommand[]): Promise<boolean> {
    const fixedDb = this.config.db;
    const startDb = fixedDb ?? this.db;
    const commands: Command[] = [];
    const sources: StreamCommand[] = [];
    let getAck = false;
    for (const command of batch) {
      const name = NAME(command.args);
      if (name === "PING" || name === "MULTI" || name === "EXEC") continue;
      if (name === "REPLCONF") {
        getAck ||= command.args.length > 1 && NAME(command.args.slice(1)) === "GETACK";
        continue;
      }
      if (name === "SELECT") {
        if (fixedDb !== undefined) continue;
        this.db = Number(new TextDecoder().decode(command.args[1]));
      }
      const filtered = await this.filtered(command);
      if (!filtered) continue;
      commands.push(filtered);
      sources.push(command);
    }
    const last = batch[batch.length - 1].offset;
    if (commands.length > 0) {
      const position = `${this.replid} ${last} ${this.db}`;
      const replies = this.clusterApplier
        ? await this.clusterApplier.apply(commands, position)
        : await this.applier!.apply(commands, startDb, fixedDb ?? this.db, position);
      replies.forEach((reply, i) => {
        const args = sources[i].args;
        const key = args[1] ?? encoder.encode(NAME(args));
        if (reply instanceof ErrorReply) this.stats.addFailures([keyFailure(key, "write", reply)]);
        else if (reply && typeof reply === "object" && "refused" in reply) {
          this.stats.addFailures([notApplied(key, reply.refused)]);
        }
      });
      this.commands += sources.filter((command) => NAME(command.args) !== "SELECT").length;
    }
    this.offset = last;
    if (getAck) this.acknowledge();
    return commands.length > 0;
  }

  /** The command to apply after the key filters, or undefined (skipped; refusals are counted). */
  private async filtered(command: StreamCommand): Promise<Command | undefined> {
    if (!this.filter) return command.args;
    const verdict = await this.filter.decide(command.args);
    if (verdict.action === "apply") return verdict.command;
    if (verdict.action === "refuse") {
      const keys = verdict.keys.length > 0 ? verdict.keys : [command.args[0]];
      this.stats.addFailures(keys.map((key) => filterFailure(key, verdict.reason)));
    }
    return undefined;
  }

  /** The stream's key filter, with the source's command table (see src/sync/command_table.ts). */
  private async streamFilter(keys: SyncKeyFilters): Promise<StreamFilter> {
    const { table, getKeys } = await this.sourceTable();
    return new StreamFilter(table, { key: nameFilter(keys), type: keys.type }, getKeys);
  }

  private async clusterStreamApplier(): Promise<ClusterStreamApplier> {
    const { table, getKeys } = await this.sourceTable();
    const cluster = this.target.control as ClusterConnection;
    return new ClusterStreamApplier({ cluster, table, getKeys, retry: this.config.retry });
  }

  /** The source's command table and COMMAND GETKEYS, on a plain connection of their own (opened once). */
  private async sourceTable() {
    const source = this.sourceCommands ??= await Endpoint.open(this.config.source, "source", 1);
    const table = CommandTable.fromCommandReply(await source.control.call("COMMAND"));
    const getKeys = async (args: Uint8Array[]) => {
      const [reply] = await retry(
        () => source.control.pipeline([["COMMAND", "GETKEYS", ...args]]),
        this.config.retry,
        { beforeRetry: () => source.reconnect() },
      );
      return Array.isArray(reply) ? reply as Uint8Array[] : undefined;
    };
    return { table, getKeys };
  }

  private acknowledge(): void {
    if (!this.link || this.phase !== "streaming") return;
    this.link.send(["REPLCONF", "ACK", String(this.offset)]).catch(() => {});
    this.writeCheckpoint().catch(() => {});
  }

  /** Reads the checkpoint, if any: undefined without one; the marker's name when it names one. */
  private async readCheckpoint(): Promise<{ marker?: Uint8Array } | undefined> {
    const saved = await this.positions?.read();
    if (!saved) return undefined;
    this.replid = saved.replid;
    this.offset = saved.offset;
    this.db = saved.db;
    this.log.info(
      `Resuming ${this.config.source.host}:${this.config.source.port} from the checkpoint: ${saved.replid} at ${saved.offset}`,
    );
    return saved.marker === undefined ? {} : { marker: encoder.encode(saved.marker) };
  }

  /**
   * The checkpoint is written every second; a run that was killed may have applied more after it. The
   * marker on the target (src/sync/stream_applier.ts) says exactly how far: continue from there.
   */
  private async resumeFromMarker(): Promise<void> {
    const position = await this.applier!.position();
    const [replid, offset, db] = (position ?? "").split(" ");
    if (replid !== this.replid || !(Number(offset) > this.offset)) return;
    this.log.info(
      `The target applied the stream up to offset ${offset} (past the checkpoint's ${this.offset})`,
    );
    this.offset = Number(offset);
    this.db = Number(db);
  }

  private async writeCheckpoint(): Promise<void> {
    if (!this.positions || this.replid === "?") return;
    await this.positions.write({
      replid: this.replid,
      offset: this.offset,
      db: this.db,
      marker: this.applier && !this.clusterApplier
        ? new TextDecoder().decode(this.applier.marker)
        : undefined,
    });
  }
}

/** Whether a source transaction is open after `command`. */
function nextOpen(open: boolean, command: StreamCommand): boolean {
  const name = NAME(command.args);
  return name === "MULTI" ? true : name === "EXEC" ? false : open;
}
