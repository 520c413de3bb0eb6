/**
 * Applies batches of replication-stream commands to the target exactly once, even across a lost target
 * connection.
 *
 * Each batch is one transaction: `SELECT startDb`, `MULTI`, the commands (their own SELECTs among them),
 * then `SET <marker> <position>` in the marker's database, `SELECT endDb`, `EXEC`. The marker (a key of
 * this run, named in its checkpoint, expiring after a day so a crashed run leaves nothing for long) holds
 * the position (an opaque text from the caller: replication id, offset, database) after the last batch the
 * target applied, and it changes in the same transaction as the data: either both or neither. When the
 * connection is lost before EXEC's reply, the applier reconnects, waits until the server has let go of the
 * old connection (its CLIENT ID gone from CLIENT LIST: after that its EXEC either ran or was discarded,
 * never later), and reads the marker: equal to the batch's position, the batch was applied (not sent
 * again); otherwise it is sent again. Nothing is applied twice, nothing is lost. A run that resumes after a
 * crash reads the marker too (`position()`): it is exact where a checkpoint written every second is not.
 *
 * A command refused when queued (unknown to the target, wrong arity, OOM) makes EXEC abort the whole
 * transaction (EXECABORT): those commands get their error as reply, and the rest is sent again without
 * them. Replies come back one per command, in order; `undefined` for a batch applied before the connection
 * was lost (its replies are gone; the marker proves it ran). A command redirected when queued (MOVED or
 * ASK, on a cluster) rejects with a RedirectError: the transaction was aborted, the caller routes it again.
 */
import { type Command, ErrorReply, type RespValue, toText } from "../../resp/mod.ts";
import type { Commands } from "../redis/commands.ts";
import { retry, type RetryPolicy, sleep } from "../retry.ts";

const MARKER_TTL_MS = 24 * 3600 * 1000;
/** How long to wait for the server to drop a lost connection before reading the marker. */
const GONE_TIMEOUT_MS = 10_000;

export interface StreamApplierOptions {
  /** The connection batches go on (one connection: its CLIENT ID is what a lost batch waits on). */
  connection: () => Commands | Promise<Commands>;
  reconnect: () => Promise<void>;
  retry: RetryPolicy;
  /** Where the marker key lives (the target's selected database). */
  markerDb: number;
  /** The marker's name (a resumed run keeps its own); a new random one by default. */
  marker?: Uint8Array;
}

/** EXEC ran (its replies), or aborted for the commands refused when queued (their indexes and errors). */
type Sent =
  | { kind: "applied"; replies: RespValue[] }
  | { kind: "aborted"; queueErrors: number[]; replies: RespValue[] };

/** A cluster slot moved: the transaction was aborted (nothing ran); route it again after a refresh. */
export class RedirectError extends Error {
  override name = "RedirectError";
}

export class StreamApplier {
  readonly marker: Uint8Array;
  private known: { connection: Commands; id?: number } | undefined;
  /** Batches found applied after a lost connection (not sent again). */
  appliedBeforeLoss = 0;

  constructor(private readonly options: StreamApplierOptions) {
    this.marker = options.marker ??
      new TextEncoder().encode(`riot:sync:applied:${crypto.getRandomValues(new Uint32Array(2)).join("")}`);
  }

  /** The position of the last batch the target applied, or undefined (none yet, or the marker expired). */
  async position(): Promise<string | undefined> {
    const [, value] = await (await this.options.connection()).pipeline([
      ["SELECT", this.options.markerDb],
      ["GET", this.marker],
    ]);
    return value === null || value instanceof ErrorReply ? undefined : toText(value);
  }

  /** Applies `commands` (see the module comment); `position` says where the stream is after the batch. */
  async apply(
    commands: Command[],
    startDb: number,
    endDb: number,
    position: string,
  ): Promise<(RespValue | undefined)[]> {
    const replies: (RespValue | undefined)[] = new Array(commands.length).fill(undefined);
    let queued = commands.map((command, index) => ({ command, index }));
    for (;;) {
      let lostId: number | undefined;
      let attempted = false;
      const sent = await retry<Sent | "applied-before">(
        async () => {
          if (attempted && await this.appliedUpTo(position, lostId)) return "applied-before";
          const connection = await this.options.connection();
          lostId = await this.clientId(connection);
          attempted = true;
          return await this.send(connection, queued.map((q) => q.command), startDb, endDb, position);
        },
        this.options.retry,
        { beforeRetry: () => this.options.reconnect() },
      );
      if (sent === "applied-before") {
        this.appliedBeforeLoss++;
        return replies;
      }
      if (sent.kind === "applied") {
        sent.replies.forEach((reply, i) => replies[queued[i].index] = reply);
        return replies;
      }
      const refused = new Set(sent.queueErrors);
      for (const i of refused) replies[queued[i].index] = sent.replies[i];
      queued = queued.filter((_, i) => !refused.has(i));
    }
  }

  /** Rejects with one line when the target refuses MULTI or SET of the marker (before any batch is sent). */
  async check(): Promise<void> {
    const replies = await (await this.options.connection()).pipeline([
      ["SELECT", this.options.markerDb],
      ["MULTI"],
      ["SET", this.marker, "check", "PX", MARKER_TTL_MS],
      ["DISCARD"],
    ]);
    const refused = replies.find((reply) => reply instanceof ErrorReply) as ErrorReply | undefined;
    if (refused) {
      throw new Error(
        `The target refuses what --mode sync needs to apply each batch once (MULTI/EXEC and SET of a marker key): ${refused.message}`,
      );
    }
  }

  /** Deletes the marker (at the end of a run). */
  async clear(): Promise<void> {
    await (await this.options.connection()).pipeline([["SELECT", this.options.markerDb], [
      "DEL",
      this.marker,
    ]]);
  }

  private async send(
    connection: Commands,
    commands: Command[],
    startDb: number,
    endDb: number,
    position: string,
  ): Promise<Sent> {
    const replies = await connection.pipeline([
      ["SELECT", startDb],
      ["MULTI"],
      ...commands,
      ["SELECT", this.options.markerDb],
      ["SET", this.marker, position, "PX", MARKER_TTL_MS],
      ["SELECT", endDb],
      ["EXEC"],
    ]);
    const exec = replies[replies.length - 1];
    if (replies[0] instanceof ErrorReply) throw replies[0];
    // Without MULTI the commands ran at once: never send them again (not a retriable error).
    if (replies[1] instanceof ErrorReply) throw new Error(`The target refused MULTI: ${replies[1].message}`);
    if (Array.isArray(exec)) return { kind: "applied", replies: exec.slice(0, commands.length) };
    const queueErrors: number[] = [];
    const queuedReplies = replies.slice(2, 2 + commands.length);
    const redirect = queuedReplies.find((reply) =>
      reply instanceof ErrorReply && /^(MOVED|ASK) /.test(reply.message)
    );
    if (redirect) throw new RedirectError((redirect as ErrorReply).message);
    queuedReplies.forEach((reply, i) => {
      if (reply instanceof ErrorReply) queueErrors.push(i);
    });
    if (queueErrors.length === 0) {
      throw exec instanceof ErrorReply ? exec : new Error(`EXEC answered ${String(exec)}`);
    }
    return { kind: "aborted", queueErrors, replies: queuedReplies };
  }

  /** True when the marker says the batch ending at `position` was applied (after the lost one is gone). */
  private async appliedUpTo(position: string, lostId: number | undefined): Promise<boolean> {
    if (lostId !== undefined) await waitGone(await this.options.connection(), lostId);
    return await this.position() === position;
  }

  /** CLIENT ID of `connection` (asked once per connection; undefined where CLIENT is refused). */
  private async clientId(connection: Commands): Promise<number | undefined> {
    if (this.known?.connection !== connection) {
      const reply = await connection.call("CLIENT", "ID").catch((error) => {
        if (error instanceof ErrorReply) return undefined;
        throw error;
      });
      this.known = { connection, id: typeof reply === "number" ? reply : undefined };
    }
    return this.known.id;
  }
}

/** Waits until the server no longer lists client `id` (CLIENT LIST ID); where refused, waits a moment. */
async function waitGone(connection: Commands, id: number): Promise<void> {
  const deadline = performance.now() + GONE_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const [reply] = await connection.pipeline([["CLIENT", "LIST", "ID", id]]);
    if (reply instanceof ErrorReply) return await sleep(1000);
    if (toText(reply).trim() === "") return;
    await sleep(20);
  }
  throw new Error(`The target still lists the lost connection (client ${id}) after ${GONE_TIMEOUT_MS} ms`);
}
