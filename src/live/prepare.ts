/**
 * Before following changes: make sure keyspace notifications reach us.
 * - flags on: nothing to do;
 * - flags missing: with --config-set, set them and return a function that restores the old value;
 *   without it, stop with one line that says which flags to set and how;
 * - CONFIG refused (managed services): write and delete a probe key and wait for its event; go on with a
 *   warning when it arrives, stop when it does not.
 */
import type { RedisConnection } from "../redis/connection.ts";
import { type ConnectionOptions, describeEndpoint } from "../redis/options.ts";
import type { Logger } from "../ui/log.ts";
import {
  checkNotifications,
  enableNotifications,
  notificationsAdvice,
  restoreNotifications,
} from "./notify_config.ts";
import { subscribeKeyspace } from "./subscriber.ts";

/** Thrown when live replication cannot see changes: exit 1 with the advice. */
export class NotificationsError extends Error {
  override name = "NotificationsError";
}

export async function prepareNotifications(
  connection: RedisConnection,
  source: ConnectionOptions,
  configSet: boolean,
  log: Logger,
): Promise<(() => Promise<void>) | undefined> {
  const endpoint = describeEndpoint(source);
  const check = await checkNotifications(connection);
  if (check.status === "ok") return undefined;
  if (check.status === "missing") {
    if (!configSet) throw new NotificationsError(notificationsAdvice(endpoint, check.current, check.missing));
    const previous = await enableNotifications(connection, check.current);
    log.warn(`Set notify-keyspace-events on ${endpoint} (was '${previous}'); it is restored on exit`);
    return () => restoreNotifications(connection, previous);
  }
  log.warn(
    `CONFIG is refused on ${endpoint} (${check.error}); probing whether keyspace notifications arrive`,
  );
  if (await probeNotifications(connection, source)) {
    log.warn(`Keyspace notifications arrive from ${endpoint}: going on`);
    return undefined;
  }
  throw new NotificationsError(
    `No keyspace notification arrived from ${endpoint} within 2 s and CONFIG is refused there: enable ` +
      `notify-keyspace-events KA in your provider's settings (parameter group) and run again`,
  );
}

/** Write and delete a probe key in the reserved riot:probe: keyspace; true when its event arrives. */
async function probeNotifications(connection: RedisConnection, source: ConnectionOptions): Promise<boolean> {
  const name = `riot:probe:${crypto.randomUUID()}`;
  let seen!: () => void;
  const arrived = new Promise<boolean>((resolve) => (seen = () => resolve(true)));
  const subscription = await subscribeKeyspace(source, name, () => seen());
  try {
    await connection.call("SET", name, "1", "PX", 10_000);
    await connection.call("DEL", name);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 2000)));
    const result = await Promise.race([arrived, timeout]);
    clearTimeout(timer);
    return result;
  } finally {
    subscription.close();
  }
}
