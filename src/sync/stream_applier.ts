/**
 * Applies batches of replication-stream commands to the target exactly once, even across a lost target
 * connection.
 *
 * Each batch is one transaction: `SELECT startDb`, `MULTI`, the commands (their own SELECTs among them),
 * then `SET <marker> <offset>` in the marker's database, `SELECT endDb`, `EXEC`. The marker (a key of this
 * run, expiring after a day so a crashed run leaves nothing for long) holds the replication offset of the
 * last batch the target applied, and it changes in the same transaction as the data: either both or
 * neither. When the connection is lost before EXEC's reply, the applier reconnects, waits until the server
 * has let go of the old connection (its CLIENT ID gone from CLIENT LIST: after that its EXEC either ran or
 * was discarded, never later), and reads the marker: equal to the batch's offset, the batch was applied
 * (not sent again); otherwise it is sent again. Nothing is applied twice, nothing is lost.
 *
 * A command refused when queued (unknown to the target, wrong arity, OOM) makes EXEC abort the whole
 * transaction (EXECABORT): those commands get their error as reply, and the rest is sent again without
 * them. Replies come back one per command, in order; `undefined` for a batch applied before the connection
 * was lost (its replies are gone; the marker proves it ran).
 */
import { type Command, ErrorReply, type RespValue, toText } from "../../resp/mod.ts";
import type { Commands } from "../redis/commands.ts";
import { retry, type RetryPolicy, sleep } from "../retry.ts";

const MARKER_TTL_MS = 24 * 3600 * 1000;
/** How long to wait for the server to drop a lost connection before reading the marker. */
const GONE_TIMEOUT_MS = 10_000;

export interface StreamApplierOptions {
  connection: () => Commands;
  reconnect: () => Promise<void>;
  retry: RetryPolicy;
  /** Where the marker key lives (the target's selected database). */
  markerDb: number;
}

/** EXEC ran (its replies), or aborted for the commands refused when queued (their indexes and errors). */
type Sent =
  | { kind: "applied"; replies: RespValue[] }
  | { kind: "aborted"; queueErrors: number[]; replies: RespValue[] };

export class StreamApplier {
  readonly marker = new TextEncoder().encode(
    `riot:sync:applied:${crypto.getRandomValues(new Uint32Array(2)).join("")}`,
  );
  private known: { connection: Commands; id?: number } | undefined;
  /** Batches found applied after a lost connection (not sent again). */
  appliedBeforeLoss = 0;

  constructor(private readonly options: StreamApplierOptions) {}

  /** Applies `commands` (see the module comment); `offset` is the replication offset after the batch. */
  async apply(
    commands: Command[],
    startDb: number,
    endDb: number,
    offset: number,
  ): Promise<(RespValue | undefined)[]> {
    const replies: (RespValue | undefined)[] = new Array(commands.length).fill(undefined);
    let queued = commands.map((command, index) => ({ command, index }));
    for (;;) {
      let lostId: number | undefined;
      let attempted = false;
      const sent = await retry<Sent | "applied-before">(
        async () => {
          if (attempted && await this.appliedUpTo(offset, lostId)) return "applied-before";
          lostId = await this.clientId();
          attempted = true;
          return await this.send(queued.map((q) => q.command), startDb, endDb, offset);
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

  /** Deletes the marker (at the end of a run). */
  async clear(): Promise<void> {
    await this.options.connection().pipeline([["SELECT", this.options.markerDb], ["DEL", this.marker]]);
  }

  private async send(commands: Command[], startDb: number, endDb: number, offset: number): Promise<Sent> {
    const replies = await this.options.connection().pipeline([
      ["SELECT", startDb],
      ["MULTI"],
      ...commands,
      ["SELECT", this.options.markerDb],
      ["SET", this.marker, offset, "PX", MARKER_TTL_MS],
      ["SELECT", endDb],
      ["EXEC"],
    ]);
    const exec = replies[replies.length - 1];
    if (replies[0] instanceof ErrorReply) throw replies[0];
    if (Array.isArray(exec)) return { kind: "applied", replies: exec.slice(0, commands.length) };
    const queueErrors: number[] = [];
    const queuedReplies = replies.slice(2, 2 + commands.length);
    queuedReplies.forEach((reply, i) => {
      if (reply instanceof ErrorReply) queueErrors.push(i);
    });
    if (queueErrors.length === 0) {
      throw exec instanceof ErrorReply ? exec : new Error(`EXEC answered ${String(exec)}`);
    }
    return { kind: "aborted", queueErrors, replies: queuedReplies };
  }

  /** True when the marker says the batch ending at `offset` was applied (after the lost one is gone). */
  private async appliedUpTo(offset: number, lostId: number | undefined): Promise<boolean> {
    const connection = this.options.connection();
    if (lostId !== undefined) await waitGone(connection, lostId);
    const [, value] = await connection.pipeline([["SELECT", this.options.markerDb], ["GET", this.marker]]);
    return value !== null && !(value instanceof ErrorReply) && toText(value) === String(offset);
  }

  /** CLIENT ID of the current connection (asked once per connection; undefined where CLIENT is refused). */
  private async clientId(): Promise<number | undefined> {
    const connection = this.options.connection();
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
