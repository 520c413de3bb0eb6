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
import { Endpoint } from "../redis/endpoint.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import { retry, type RetryPolicy, sleep } from "../retry.ts";
import { RdbRecordSource } from "../sources/rdb_source.ts";
import { CommandStream, type StreamCommand } from "../sync/command_stream.ts";
import { ReplicaLink } from "../sync/replica_link.ts";
import { type CompareMode, verify, type VerifyResult } from "../verify/verify.ts";
import { rdbWriters } from "./rdb_writers.ts";

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
  /** Snapshot keys the target's RESTORE refuses (older RDB version) go by type; false: --no-fallback. */
  fallback: boolean;
}

export type SyncPhase = "connecting" | "snapshot" | "streaming" | "verifying" | "done";

export interface SyncOutcome {
  stats: ReplicationStats;
  replid: string;
  offset: number;
  commands: number;
  fullSyncs: number;
  partialResyncs: number;
  resumed: boolean;
  stopped: boolean;
  verify?: VerifyResult;
}

const ACK_EVERY_MS = 1000;
const MAX_BATCH = 1000;
const encoder = new TextEncoder();
const NAME = (args: Uint8Array[]) => new TextDecoder().decode(args[0]).toUpperCase();

export class SyncJob {
  readonly stats = new ReplicationStats();
  phase: SyncPhase = "connecting";
  replid = "?";
  /** Offset of the last command the target acknowledged. */
  offset = -1;
  commands = 0;
  fullSyncs = 0;
  partialResyncs = 0;
  private readonly stopper = new AbortController();
  private target!: Endpoint;
  private link: ReplicaLink | undefined;
  private db = 0;
  private stoppedInSnapshot = false;

  constructor(private readonly config: SyncConfig, private readonly log: Log) {}

  stop(): void {
    this.stopper.abort();
  }

  async run(): Promise<SyncOutcome> {
    const config = this.config;
    this.target = await Endpoint.open(config.target, "target", config.threads);
    const resumed = await this.readCheckpoint();
    let ackTimer: ReturnType<typeof setInterval> | undefined;
    try {
      ackTimer = setInterval(() => this.acknowledge(), ACK_EVERY_MS);
      while (!this.stopper.signal.aborted) {
        const stream = await this.connect();
        if (!stream) break;
        this.phase = "streaming";
        await this.reselect();
        this.acknowledge(); // at once, as a replica does after loading: the source starts the stream on it
        const lost = await this.follow(stream);
        if (!lost) break;
        this.log.warn(`${lost}; continuing with PSYNC ${this.replid} ${this.offset + 1}`);
        await sleep(200);
      }
    } finally {
      clearInterval(ackTimer);
      this.link?.close();
      await this.writeCheckpoint();
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
        await this.target.reconnect();
        await this.target.control.call("SELECT", config.target.db ?? 0);
        this.phase = "verifying";
        outcome.verify = await this.verify(config.compare);
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
      this.log.info(`Partial resync from offset ${asked}`);
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
    const source = holder.source = new RdbRecordSource(bytes, {
      batch: this.config.batch,
      db: this.config.db,
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
    let lastWrite = performance.now();
    const stopped = new Promise<"stop">((resolve) => {
      if (this.stopper.signal.aborted) resolve("stop");
      this.stopper.signal.addEventListener("abort", () => resolve("stop"));
    });
    for (;;) {
      pending ??= stream.next();
      const idleLeft = this.config.idleTimeoutMs === undefined
        ? undefined
        : this.config.idleTimeoutMs - (performance.now() - lastWrite);
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
      if (first === undefined) return "The source closed the replication link";
      const batch = [first];
      while (batch.length < MAX_BATCH) {
        const more = stream.buffered();
        if (!more) break;
        batch.push(more);
      }
      if (await this.apply(batch)) lastWrite = performance.now();
    }
  }

  /** Sends a batch to the target; true when it held a write. GETACK is answered after it. */
  private async apply(batch: StreamCommand[]): Promise<boolean> {
    const commands: Command[] = [];
    const sources: StreamCommand[] = [];
    let getAck = false;
    for (const command of batch) {
      const name = NAME(command.args);
      if (name === "PING") continue;
      if (name === "REPLCONF") {
        getAck ||= command.args.length > 1 && NAME(command.args.slice(1)) === "GETACK";
        continue;
      }
      if (name === "SELECT") {
        if (this.config.db !== undefined) continue;
        this.db = Number(new TextDecoder().decode(command.args[1]));
      }
      commands.push(command.args);
      sources.push(command);
    }
    const last = batch[batch.length - 1].offset;
    if (commands.length > 0) {
      const replies = await retry(() => this.target.control.pipeline(commands), this.config.retry, {
        beforeRetry: () => this.target.reconnect().then(() => this.reselect()),
      });
      replies.forEach((reply, i) => {
        if (reply instanceof ErrorReply) {
          const args = sources[i].args;
          this.stats.addFailures([keyFailure(args[1] ?? encoder.encode(NAME(args)), "write", reply)]);
        }
      });
      this.commands += sources.filter((command) => NAME(command.args) !== "SELECT").length;
    }
    this.offset = last;
    if (getAck) this.acknowledge();
    return commands.length > 0;
  }

  /** After a target reconnect, select the database the stream had selected. */
  private async reselect(): Promise<void> {
    await this.target.control.call("SELECT", this.config.db ?? this.db);
  }

  private acknowledge(): void {
    if (!this.link || this.phase !== "streaming") return;
    this.link.send(["REPLCONF", "ACK", String(this.offset)]).catch(() => {});
    this.writeCheckpoint().catch(() => {});
  }

  private async readCheckpoint(): Promise<boolean> {
    if (!this.config.checkpoint) return false;
    try {
      const saved = JSON.parse(await Deno.readTextFile(this.config.checkpoint));
      if (typeof saved.replid === "string" && Number.isSafeInteger(saved.offset)) {
        this.replid = saved.replid;
        this.offset = saved.offset;
        this.db = Number.isSafeInteger(saved.db) ? saved.db : 0;
        this.log.info(
          `Resuming from checkpoint ${this.config.checkpoint}: ${saved.replid} at ${saved.offset}`,
        );
        return true;
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return false;
  }

  private async writeCheckpoint(): Promise<void> {
    if (!this.config.checkpoint || this.replid === "?") return;
    const path = this.config.checkpoint;
    await Deno.writeTextFile(
      `${path}.tmp`,
      JSON.stringify({ replid: this.replid, offset: this.offset, db: this.db }),
    );
    await Deno.rename(`${path}.tmp`, path);
  }

  private async verify(mode: CompareMode): Promise<VerifyResult> {
    const source = await Endpoint.open(this.config.source, "source", this.config.threads);
    try {
      return await verify({
        sourceScanners: [source.control],
        targetScanners: [this.target.control],
        sources: Array.from({ length: source.workers }, (_, i) => source.worker(i)),
        targets: Array.from({ length: this.target.workers }, (_, i) => this.target.worker(i)),
      }, {
        mode,
        ttlToleranceMs: this.config.ttlToleranceMs,
        scan: { count: 1000 },
        batch: this.config.batch,
        rounds: 1,
        pauseMs: 0,
        sourceExpireTime: true,
        targetExpireTime: true,
      });
    } finally {
      source.close();
    }
  }
}
