/**
 * One connection to one Redis: a socket, a decoder and one ordered FIFO of pending replies.
 *
 * Contract:
 * - `pipeline(commands)` queues the commands behind everything queued before and resolves with their
 *   replies in order. A server error answers one command: it is an `ErrorReply` in the array, and the
 *   connection stays usable. `call()` is the one-command form that throws the ErrorReply.
 * - One writer coalesces everything queued since its last write into one write and loops until every byte
 *   is written. A window bounds commands and bytes in flight; `pipeline()` waits while it is full.
 * - RESP3 pushes and RESP2 pub/sub messages never settle a command: they go to `onPush`.
 * - When the socket closes, the decoder fails, or no reply arrives within the timeout, the connection is
 *   dead: every pending command is rejected at once with the same ConnectionError, later calls reject with
 *   it too, and `closed` resolves with it.
 */
import {
  type Command,
  encodeCommands,
  encodeKeyCommands,
  ErrorReply,
  RespAttributed,
  RespDecoder,
  RespPush,
  type RespValue,
} from "../../resp/mod.ts";
import { ConnectionError, TimeoutError } from "./errors.ts";

/** Limits of the in-flight window. */
export interface WindowLimits {
  maxCommands: number;
  maxBytes: number;
}

export const DEFAULT_WINDOW: WindowLimits = { maxCommands: 100_000, maxBytes: 64 * 1024 * 1024 };

interface Batch {
  remaining: number;
  replies: RespValue[];
  resolve: (replies: RespValue[]) => void;
  reject: (error: Error) => void;
  bytes: number;
}

/** A pipeline() call waiting for window room; admitted strictly in call order. */
interface Waiter {
  count: number;
  bytes: Uint8Array;
  admit: (replies: Promise<RespValue[]>) => void;
}

const READ_SIZE = 256 * 1024;
const PUBSUB_KINDS = new Set([
  "message",
  "pmessage",
  "smessage",
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "unsubscribe",
  "punsubscribe",
  "sunsubscribe",
]);

export type PushHandler = (items: RespValue[]) => void;

export class RedisConnection {
  /** Protocol in use after the handshake (2 or 3). */
  protocol: 2 | 3 = 2;
  /** Set by the subscriber: in RESP2, arrays whose first element is a pub/sub kind are messages. */
  pubsubMode = false;
  /** Receives pushes (RESP3) and pub/sub messages and confirmations (RESP2, when pubsubMode). */
  onPush: PushHandler | undefined;
  /**
   * Receives an error reply that answers no queued command: the refusal of a SUBSCRIBE sent with
   * `sendUnanswered()` (NOPERM on channels). Without a handler such a reply kills the connection.
   */
  onUnansweredError: ((error: ErrorReply) => void) | undefined;

  private readonly decoder = new RespDecoder();
  private readonly queue: Batch[] = [];
  private queueHead = 0;
  private outgoing: Uint8Array[] = [];
  private writing = false;
  private inflightCommands = 0;
  private inflightBytes = 0;
  private waiters: Waiter[] = [];
  private waitersHead = 0;
  private failure: ConnectionError | undefined;
  private lastProgress = performance.now();
  private readonly timer: ReturnType<typeof setInterval>;
  private resolveClosed!: (error: ConnectionError | undefined) => void;
  /** Resolves once the connection is dead: with the error, or undefined after close(). */
  readonly closed: Promise<ConnectionError | undefined>;

  constructor(
    private readonly conn: Deno.Conn,
    readonly endpoint: string,
    private readonly timeoutMs: number,
    private readonly window: WindowLimits = DEFAULT_WINDOW,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.timer = setInterval(() => this.checkTimeout(), Math.min(1000, Math.max(50, timeoutMs / 4)));
    Deno.unrefTimer(this.timer);
    this.readLoop();
  }

  /** Commands sent but not yet answered. */
  get pending(): number {
    return this.inflightCommands;
  }

  get isOpen(): boolean {
    return this.failure === undefined;
  }

  /** Send commands in order; resolves with one reply per command (ErrorReply values for server errors). */
  pipeline(commands: readonly Command[]): Promise<RespValue[]> {
    if (commands.length === 0) return Promise.resolve([]);
    let bytes: Uint8Array;
    try {
      bytes = encodeCommands(commands);
    } catch (error) {
      return Promise.reject(error); // a bad argument (e.g. NaN) rejects, it does not throw
    }
    return this.pipelineEncoded(commands.length, bytes);
  }

  /**
   * `pipeline()` for `count` commands already encoded in `bytes` (hot paths that encode without building
   * argument arrays). Same order and window as `pipeline()`.
   */
  pipelineEncoded(count: number, bytes: Uint8Array): Promise<RespValue[]> {
    if (count === 0) return Promise.resolve([]);
    // Behind earlier waiters even when this batch would fit: commands go out in call order.
    if (
      this.failure === undefined &&
      (this.waitersHead < this.waiters.length || !this.fits(count, bytes.length))
    ) {
      return new Promise((admit) => this.waiters.push({ count, bytes, admit }));
    }
    return this.enqueue(count, bytes);
  }

  /**
   * For each key, one command per template (`[["DUMP"], ["PTTL"]]` sends `DUMP k1`, `PTTL k1`, `DUMP k2` ...),
   * encoded without building argument arrays; replies in the same order.
   */
  pipelineKeys(templates: readonly (readonly string[])[], keys: readonly Uint8Array[]): Promise<RespValue[]> {
    return this.pipelineEncoded(keys.length * templates.length, encodeKeyCommands(templates, keys));
  }

  /** True when a batch may be sent now; a batch larger than the window goes alone. */
  private fits(count: number, bytes: number): boolean {
    return this.inflightCommands === 0 ||
      (this.inflightCommands + count <= this.window.maxCommands &&
        this.inflightBytes + bytes <= this.window.maxBytes);
  }

  /** Send waiting batches, oldest first, while they fit (all of them, rejected, once the connection died). */
  private admitWaiters(): void {
    while (this.waitersHead < this.waiters.length) {
      const waiter = this.waiters[this.waitersHead];
      if (this.failure === undefined && !this.fits(waiter.count, waiter.bytes.length)) {
        if (this.waitersHead > 1024 && this.waitersHead * 2 > this.waiters.length) {
          this.waiters.splice(0, this.waitersHead);
          this.waitersHead = 0;
        }
        return;
      }
      this.waiters[this.waitersHead++] = undefined as unknown as Waiter;
      waiter.admit(this.enqueue(waiter.count, waiter.bytes));
    }
    this.waiters = [];
    this.waitersHead = 0;
  }

  /** Send commands without waiting for window room (for handshakes and subscriptions). */
  enqueue(count: number, bytes: Uint8Array): Promise<RespValue[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.inflightCommands === 0) this.lastProgress = performance.now();
    return new Promise<RespValue[]>((resolve, reject) => {
      if (count > 0) {
        this.queue.push({ remaining: count, replies: [], resolve, reject, bytes: bytes.length });
        this.inflightCommands += count;
        this.inflightBytes += bytes.length;
      } else {
        resolve([]);
      }
      this.outgoing.push(bytes);
      if (!this.writing) this.scheduleWrite();
    });
  }

  /** Send bytes that expect no reply in the FIFO (SUBSCRIBE in RESP3 and RESP2 is confirmed by a push). */
  sendUnanswered(bytes: Uint8Array): void {
    if (this.failure) throw this.failure;
    this.outgoing.push(bytes);
    if (!this.writing) this.scheduleWrite();
  }

  /** One command; throws the server's ErrorReply. */
  async call(...command: Command): Promise<RespValue> {
    const [reply] = await this.pipeline([command]);
    if (reply instanceof ErrorReply) throw reply;
    return reply;
  }

  /** Close now; pending commands are rejected. */
  close(): void {
    this.fail(new ConnectionError(this.endpoint, `Connection to ${this.endpoint} was closed`), true);
  }

  /**
   * Start the writer in a microtask, so that every batch queued in the current task (callers woken by the
   * same read) goes out in one write.
   */
  private scheduleWrite(): void {
    this.writing = true;
    queueMicrotask(() => this.writeLoop());
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.outgoing.length > 0 && this.failure === undefined) {
        const parts = this.outgoing;
        this.outgoing = [];
        let data: Uint8Array;
        if (parts.length === 1) data = parts[0];
        else {
          let size = 0;
          for (const part of parts) size += part.length;
          data = new Uint8Array(size);
          let at = 0;
          for (const part of parts) {
            data.set(part, at);
            at += part.length;
          }
        }
        let written = 0;
        while (written < data.length) written += await this.conn.write(data.subarray(written));
      }
    } catch (error) {
      this.fail(this.lost(error));
    } finally {
      this.writing = false;
    }
  }

  private async readLoop(): Promise<void> {
    try {
      // One buffer for every read: allocating (and zeroing) 256 KiB per read cost more than the read.
      const buffer = new Uint8Array(READ_SIZE);
      for (;;) {
        const n = await this.conn.read(buffer);
        if (n === null) {
          this.fail(
            new ConnectionError(this.endpoint, `${this.endpoint} closed the connection`, {
              cause: new Deno.errors.UnexpectedEof("end of stream"),
            }),
          );
          return;
        }
        this.lastProgress = performance.now();
        // The decoder keeps views of what it is fed, so it gets a copy of exactly the bytes read.
        this.decoder.feed(buffer.slice(0, n));
        let value: RespValue | undefined;
        while ((value = this.decoder.next()) !== undefined) this.dispatch(value);
      }
    } catch (error) {
      this.fail(this.lost(error));
    }
  }

  private dispatch(value: RespValue): void {
    if (value instanceof RespPush) {
      this.onPush?.(value.items);
      return;
    }
    if (value instanceof RespAttributed) value = value.value;
    if (this.pubsubMode && Array.isArray(value) && isPubsubKind(value[0])) {
      this.onPush?.(value);
      return;
    }
    const batch = this.queue[this.queueHead];
    if (batch === undefined && value instanceof ErrorReply && this.onUnansweredError) {
      this.onUnansweredError(value);
      return;
    }
    if (batch === undefined) {
      throw new ConnectionError(this.endpoint, `${this.endpoint} sent a reply nobody asked for`);
    }
    batch.replies.push(value);
    if (--batch.remaining > 0) return;
    this.queue[this.queueHead++] = undefined as unknown as Batch;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.inflightCommands -= batch.replies.length;
    this.inflightBytes -= batch.bytes;
    batch.resolve(batch.replies);
    if (this.waitersHead < this.waiters.length) this.admitWaiters();
  }

  private checkTimeout(): void {
    if (this.inflightCommands === 0 || this.failure) return;
    if (performance.now() - this.lastProgress > this.timeoutMs) {
      this.fail(
        new TimeoutError(
          this.endpoint,
          `No reply from ${this.endpoint} within ${
            this.timeoutMs / 1000
          } s. Check that the server is not blocked (SLOWLOG, a busy script), or raise --timeout.`,
        ),
      );
    }
  }

  private lost(error: unknown): ConnectionError {
    if (error instanceof ConnectionError) return error;
    const text = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && error.name === "ProtocolError") {
      return new ConnectionError(this.endpoint, `${this.endpoint} sent bytes that are not RESP: ${text}`, {
        cause: error,
      });
    }
    return new ConnectionError(this.endpoint, `Connection to ${this.endpoint} lost: ${text}`, {
      cause: error,
    });
  }

  private fail(error: ConnectionError, byUser = false): void {
    if (this.failure) return;
    this.failure = error;
    clearInterval(this.timer);
    try {
      this.conn.close();
    } catch {
      // already closed
    }
    for (let i = this.queueHead; i < this.queue.length; i++) this.queue[i].reject(error);
    this.queue.length = 0;
    this.queueHead = 0;
    this.inflightCommands = 0;
    this.inflightBytes = 0;
    this.admitWaiters();
    this.resolveClosed(byUser ? undefined : error);
  }
}

function isPubsubKind(first: RespValue | undefined): boolean {
  if (!(first instanceof Uint8Array) || first.length > 12) return false;
  return PUBSUB_KINDS.has(String.fromCharCode(...first));
}
