/**
 * riot as a replica of a source: the replication handshake over the project's own transport, then the
 * snapshot as it streams.
 *
 * Handshake: `AUTH` (when a password is set), `REPLCONF listening-port <our port>`, `REPLCONF capa eof capa
 * psync2`, then `PSYNC <replid> <offset>` (`? -1` for a new full sync). Answers: `+FULLRESYNC replid offset`
 * (a snapshot follows), `+CONTINUE [replid]` (a partial resync: the command stream follows at once), or an
 * error: a source that refuses SYNC/PSYNC (a managed service, an ACL without the permission) is a
 * {@link SyncRefusedError} whose message says so and suggests `--live`.
 *
 * Snapshot framing: while the source prepares it, it may send lone `\n` keepalives; then either
 * `$<length>\r\n` and that many RDB bytes (disk-based), or `$EOF:<40-byte mark>\r\n`, the RDB bytes and the
 * mark again (diskless). {@link ReplicaLink.snapshot} yields the RDB bytes as they arrive; for the diskless
 * form it needs to be told where the RDB ends (`rdbDone`), which the RDB reader knows, and then checks the
 * mark. Bytes after the snapshot stay buffered for the command stream.
 */
import { encodeCommands } from "../../resp/mod.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import { describeEndpoint } from "../redis/options.ts";
import { openTransport } from "../redis/transport.ts";
import { ByteReader } from "./byte_reader.ts";

export class SyncRefusedError extends Error {
  override name = "SyncRefusedError";
}

export type PsyncReply =
  | { kind: "full"; replid: string; offset: number }
  | { kind: "continue"; replid?: string };

export interface SnapshotFrame {
  /** RDB length for the disk-based form; undefined for the diskless form (ends with a 40-byte mark). */
  length?: number;
  mark?: Uint8Array;
}

const EOF_MARK_SIZE = 40;

export class ReplicaLink {
  readonly reader: ByteReader;
  #closed = false;

  private constructor(private readonly conn: Deno.Conn, readonly endpoint: string) {
    this.reader = new ByteReader(conn);
  }

  static async open(options: ConnectionOptions): Promise<ReplicaLink> {
    const conn = await openTransport(options);
    const link = new ReplicaLink(conn, describeEndpoint(options));
    try {
      if (options.password !== undefined) {
        const auth = options.user !== undefined
          ? ["AUTH", options.user, options.password]
          : ["AUTH", options.password];
        await link.#expectOk(auth, "AUTH");
      }
      const port = (conn.localAddr as Deno.NetAddr).port ?? 0;
      await link.#expectOk(["REPLCONF", "listening-port", String(port)], "REPLCONF listening-port");
      await link.#expectOk(["REPLCONF", "capa", "eof", "capa", "psync2"], "REPLCONF capa");
      return link;
    } catch (error) {
      link.close();
      throw error;
    }
  }

  /** Sends PSYNC and reads its answer; see the module comment. */
  async psync(replid = "?", offset = -1): Promise<PsyncReply> {
    await this.send(["PSYNC", replid, String(offset)]);
    const line = await this.#reply();
    if (line.startsWith("+FULLRESYNC ")) {
      const [, id, at] = line.split(" ");
      return { kind: "full", replid: id, offset: Number(at) };
    }
    if (line.startsWith("+CONTINUE")) {
      const id = line.split(" ")[1];
      return id ? { kind: "continue", replid: id } : { kind: "continue" };
    }
    throw this.#refused("PSYNC", line);
  }

  /** Reads the snapshot's framing line (after keepalive newlines). */
  async snapshotFrame(): Promise<SnapshotFrame> {
    let line = "";
    while (line === "") line = await this.reader.line();
    if (line.startsWith("$EOF:")) {
      const mark = new TextEncoder().encode(line.slice(5));
      if (mark.length !== EOF_MARK_SIZE) {
        throw new Error(`Bad diskless snapshot header from ${this.endpoint}`);
      }
      return { mark };
    }
    if (line.startsWith("$")) {
      const length = Number(line.slice(1));
      if (Number.isSafeInteger(length) && length >= 0) return { length };
    }
    if (line.startsWith("-")) throw this.#refused("PSYNC", line);
    throw new Error(`Unexpected snapshot header from ${this.endpoint}: ${line.slice(0, 80)}`);
  }

  /**
   * The RDB bytes of the snapshot, chunk by chunk. Disk-based: exactly `length` bytes. Diskless: chunks
   * until `rdbDone()` is true after one (the caller's RDB reader saw the end marker; it keeps the bytes it
   * got past the end and returns them with `leftover()`), then the mark is checked and the bytes after it
   * are put back for the command stream.
   */
  async *snapshot(
    frame: SnapshotFrame,
    rdbDone: () => boolean,
    leftover: () => Uint8Array,
  ): AsyncGenerator<Uint8Array> {
    if (frame.length !== undefined) {
      for (let left = frame.length; left > 0;) {
        const chunk = await this.reader.chunk(left);
        if (!chunk) throw new Error(`${this.endpoint} closed the connection during the snapshot`);
        left -= chunk.length;
        yield chunk;
      }
      return;
    }
    while (!rdbDone()) {
      const chunk = await this.reader.chunk();
      if (!chunk) throw new Error(`${this.endpoint} closed the connection during the snapshot`);
      yield chunk;
    }
    let tail = leftover();
    while (tail.length < EOF_MARK_SIZE) {
      const more = await this.reader.chunk(EOF_MARK_SIZE - tail.length);
      if (!more) throw new Error(`${this.endpoint} closed the connection during the snapshot`);
      const joined = new Uint8Array(tail.length + more.length);
      joined.set(tail);
      joined.set(more, tail.length);
      tail = joined;
    }
    if (!frame.mark!.every((byte, i) => tail[i] === byte)) {
      throw new Error(`The diskless snapshot from ${this.endpoint} does not end with its EOF mark`);
    }
    this.reader.unread(tail.subarray(EOF_MARK_SIZE));
  }

  send(command: string[]): Promise<void> {
    return this.#write(encodeCommands([command]));
  }

  async #write(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) at += await this.conn.write(bytes.subarray(at));
  }

  async #reply(): Promise<string> {
    let line = "";
    while (line === "") line = await this.reader.line(); // keepalive newlines
    return line;
  }

  async #expectOk(command: string[], what: string): Promise<void> {
    await this.send(command);
    const line = await this.#reply();
    if (!line.startsWith("+")) throw this.#refused(what, line);
  }

  #refused(what: string, line: string): Error {
    const reason = line.replace(/^[-+]/, "");
    if (what === "AUTH") return new Error(`${this.endpoint} refused AUTH on the replication link: ${reason}`);
    return new SyncRefusedError(
      `${this.endpoint} refuses to serve a replica (${what}: ${reason}): managed services and ACL users without SYNC/PSYNC permission do not allow it. Use --live (keyspace notifications) instead, or allow +psync +replconf +sync for this user`,
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}
