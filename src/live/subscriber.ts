/**
 * The notification stream: a dedicated source connection subscribed with
 * `PSUBSCRIBE __keyspace@<db>__:<pattern>`; each message names a changed key (bytes, from the channel)
 * and the event. Delivery is at-most-once: when this connection is lost, events are lost, so `closed`
 * resolves and the follower re-subscribes and re-scans.
 */
import { encodeCommand, type RespValue } from "../../resp/mod.ts";
import type { RedisConnection } from "../redis/connection.ts";
import { connect } from "../redis/connect.ts";
import type { ConnectionOptions } from "../redis/options.ts";

export type KeyEventHandler = (key: Uint8Array, event: string) => void;

export interface Subscription {
  connection: RedisConnection;
  /** Resolves when the connection is lost (never after close()). */
  lost: Promise<Error>;
  close(): void;
}

const encoder = new TextEncoder();
const latin = new TextDecoder("latin1");

/** Subscribe; resolves once the server confirmed the subscription (events from then on are seen). */
export async function subscribeKeyspace(
  options: ConnectionOptions,
  pattern: string,
  onEvent: KeyEventHandler,
): Promise<Subscription> {
  const connection = await connect({ ...options, clientName: "riot-events" });
  const prefix = encoder.encode(`__keyspace@${options.db}__:`);
  const channel = `__keyspace@${options.db}__:${pattern}`;
  let confirm: (() => void) | undefined;
  const confirmed = new Promise<void>((resolve) => (confirm = resolve));
  connection.pubsubMode = true;
  connection.onPush = (items: RespValue[]) => {
    const kind = items[0] instanceof Uint8Array ? latin.decode(items[0]) : String(items[0]);
    if (kind === "pmessage") {
      const name = items[2] as Uint8Array;
      if (!(name instanceof Uint8Array) || name.length < prefix.length) return;
      const event = items[3] instanceof Uint8Array ? latin.decode(items[3]) : String(items[3]);
      onEvent(name.subarray(prefix.length), event);
    } else if (kind === "psubscribe") {
      confirm?.();
    }
  };
  connection.sendUnanswered(encodeCommand(["PSUBSCRIBE", channel]));
  let closing = false;
  const lost = connection.closed.then((error) => error ?? new Error("closed"));
  await Promise.race([
    confirmed,
    lost.then((error) => {
      throw error;
    }),
  ]);
  return {
    connection,
    lost: lost.then((error) => closing ? new Promise<Error>(() => {}) : error),
    close() {
      closing = true;
      connection.close();
    },
  };
}
