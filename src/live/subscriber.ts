/**
 * The notification stream: a dedicated source connection subscribed with
 * `PSUBSCRIBE __keyspace@<db>__:<pattern>` (one or more patterns); each message names a changed key (bytes,
 * from the channel) and the event. Delivery is at-most-once: when this connection is lost, events are lost,
 * so `lost` resolves and the follower re-subscribes and re-scans.
 *
 * A server that refuses the subscription (an ACL user without channel permissions) rejects `subscribe`
 * with one line that names the channel and the ACL rule to grant.
 */
import { encodeCommand, type RespValue } from "../../resp/mod.ts";
import type { RedisConnection } from "../redis/connection.ts";

export type KeyEventHandler = (key: Uint8Array, event: string) => void;

export interface Subscription {
  connection: RedisConnection;
  /** Resolves when the connection is lost (never after close()). */
  lost: Promise<Error>;
  close(): void;
}

/** The subscription was refused (NOPERM): not retriable, exit 1 with the advice. */
export class SubscribeRefusedError extends Error {
  override name = "SubscribeRefusedError";
}

const encoder = new TextEncoder();
const latin = new TextDecoder("latin1");

/** Subscribe on `connection`; resolves once the server confirmed every pattern. */
export async function subscribeKeyspace(
  connection: RedisConnection,
  db: number,
  patterns: string[],
  onEvent: KeyEventHandler,
): Promise<Subscription> {
  const prefix = encoder.encode(`__keyspace@${db}__:`);
  const channels = patterns.map((pattern) => `__keyspace@${db}__:${pattern}`);
  let confirmations = 0;
  let confirm!: () => void;
  let refuse!: (error: Error) => void;
  const confirmed = new Promise<void>((resolve, reject) => {
    confirm = resolve;
    refuse = reject;
  });
  connection.pubsubMode = true;
  connection.onUnansweredError = (error) =>
    refuse(
      new SubscribeRefusedError(
        `${connection.endpoint} refused the subscription to ${
          channels[0]
        } (${error.message}): grant the source ` +
          `user the channels, e.g. ACL SETUSER <user> resetchannels '&__keyspace@${db}__:*' (or allchannels)`,
      ),
    );
  connection.onPush = (items: RespValue[]) => {
    const kind = items[0] instanceof Uint8Array ? latin.decode(items[0]) : String(items[0]);
    if (kind === "pmessage") {
      const name = items[2] as Uint8Array;
      if (!(name instanceof Uint8Array) || name.length < prefix.length) return;
      const event = items[3] instanceof Uint8Array ? latin.decode(items[3]) : String(items[3]);
      onEvent(name.subarray(prefix.length), event);
    } else if (kind === "psubscribe" && ++confirmations === channels.length) {
      confirm();
    }
  };
  connection.sendUnanswered(encodeCommand(["PSUBSCRIBE", ...channels]));
  let closing = false;
  const lost = connection.closed.then((error) => error ?? new Error("closed"));
  try {
    await Promise.race([
      confirmed,
      lost.then((error) => {
        throw error;
      }),
    ]);
  } catch (error) {
    connection.close();
    throw error;
  }
  return {
    connection,
    lost: lost.then((error) => closing ? new Promise<Error>(() => {}) : error),
    close() {
      closing = true;
      connection.close();
    },
  };
}
