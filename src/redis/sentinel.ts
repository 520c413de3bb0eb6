/**
 * Asking Redis Sentinel where a service's master and replicas are, and following a failover.
 *
 * - `resolveMaster(config, base)`: asks the sentinels in turn (`SENTINEL get-master-addr-by-name`); the
 *   first that knows the service answers. Outcomes: the master's ConnectionOptions (base + the URI's auth
 *   and db + the master's address); a SentinelError line when no sentinel answers, or when the ones that
 *   answer do not know the service.
 * - `resolveReplicas(config, base)`: the replicas a sentinel reports as up and linked to their master, for
 *   `--read-from replica`.
 * - `SwitchMasterWatch`: a subscription to `+switch-master` on one sentinel; `next()` resolves with the new
 *   master of the service after a failover, and rejects when the subscription is lost (re-resolve then).
 * - `followMaster(...)`: the master each time it changes, across lost watches (what live mode follows).
 */
import { encodeCommands, ErrorReply, RespMap, type RespValue, toText } from "../../resp/mod.ts";
import { connect } from "./connect.ts";
import type { RedisConnection } from "./connection.ts";
import { ConnectionError } from "./errors.ts";
import { type ConnectionOptions, describeEndpoint, redactSecrets } from "./options.ts";
import type { SentinelAddress, SentinelConfig } from "./sentinel_uri.ts";

/** The sentinels could not name a master; the message is one line saying what to check. */
export class SentinelError extends ConnectionError {
  override name = "SentinelError";
}

export interface MasterSwitch {
  service: string;
  from: SentinelAddress;
  to: SentinelAddress;
}

/** How to reach one sentinel: the base's TLS and timeout, the sentinel's own credentials (if any), db 0. */
export function sentinelOptions(config: SentinelConfig, base: ConnectionOptions, at: SentinelAddress) {
  const options: ConnectionOptions = { ...base, ...at, db: 0, cluster: false, socket: undefined };
  delete options.user;
  delete options.password;
  if (config.sentinelPassword !== undefined) {
    options.password = config.sentinelPassword;
    if (config.sentinelUser !== undefined) options.user = config.sentinelUser;
  }
  if (config.master.tls !== undefined) options.tls = config.master.tls;
  return options;
}

/** The options of a data node (master or replica) at `address`: base, then the URI's auth, db and TLS. */
export function nodeOptions(config: SentinelConfig, base: ConnectionOptions, address: SentinelAddress) {
  return { ...base, ...config.master, host: address.host, port: address.port, socket: undefined };
}

/** Ask each sentinel in turn; see the module comment for the outcomes. */
export async function resolveMaster(
  config: SentinelConfig,
  base: ConnectionOptions,
): Promise<ConnectionOptions> {
  const address = await askSentinels(config, base, async (sentinel) => {
    const reply = await sentinel.call("SENTINEL", "get-master-addr-by-name", config.service);
    if (reply === null) return undefined;
    const [host, port] = reply as RespValue[];
    return { host: toText(host), port: Number(toText(port)) };
  });
  return nodeOptions(config, base, address);
}

/** Replicas of the service that a sentinel sees up and in sync (no s_down/o_down, master link ok). */
export async function resolveReplicas(
  config: SentinelConfig,
  base: ConnectionOptions,
): Promise<ConnectionOptions[]> {
  const replicas = await askSentinels(config, base, async (sentinel) => {
    const [reply] = await sentinel.pipeline([["SENTINEL", "replicas", config.service]]);
    if (reply instanceof ErrorReply) {
      if (/no such master/i.test(reply.message)) return undefined;
      throw reply;
    }
    return (reply as RespValue[]).map(fieldsOf).filter((fields) =>
      !/s_down|o_down|disconnected/.test(fields.get("flags") ?? "") &&
      fields.get("master-link-status") === "ok"
    ).map((fields) => ({ host: fields.get("ip") ?? "", port: Number(fields.get("port")) }));
  });
  return replicas.map((address) => nodeOptions(config, base, address));
}

/**
 * Run `ask` on the sentinels in order until one returns a value. `undefined` means "this sentinel does not
 * know the service". Throws SentinelError naming every sentinel tried and what each said.
 */
async function askSentinels<T>(
  config: SentinelConfig,
  base: ConnectionOptions,
  ask: (sentinel: RedisConnection) => Promise<T | undefined>,
): Promise<T> {
  const problems: string[] = [];
  let unknown = 0;
  for (const address of config.sentinels) {
    const options = sentinelOptions(config, base, address);
    let sentinel: RedisConnection | undefined;
    try {
      sentinel = await connect(options);
      const answer = await ask(sentinel);
      if (answer !== undefined) return answer;
      unknown++;
      problems.push(`${describeEndpoint(address)}: unknown service`);
    } catch (error) {
      problems.push(`${describeEndpoint(address)}: ${(error as Error).message}`);
    } finally {
      sentinel?.close();
    }
  }
  const list = config.sentinels.map(describeEndpoint).join(", ");
  const secrets = [config.master.password, config.sentinelPassword];
  if (unknown > 0) {
    throw new SentinelError(
      list,
      redactSecrets(
        `The sentinels at ${list} do not know the service '${config.service}' (${
          problems.join("; ")
        }): check the name after the sentinel list (SENTINEL MASTERS on a sentinel lists them)`,
        secrets,
      ),
    );
  }
  throw new SentinelError(
    list,
    redactSecrets(
      `No sentinel answered for '${config.service}' (${
        problems.join("; ")
      }): check the sentinel addresses and that they run`,
      secrets,
    ),
  );
}

/** A sentinel reply entry (RESP2 flat list or RESP3 map) as name -> text. */
function fieldsOf(entry: RespValue): Map<string, string> {
  const fields = new Map<string, string>();
  if (entry instanceof RespMap) {
    for (const [name, value] of entry.entries) fields.set(toText(name), toText(value));
  } else if (Array.isArray(entry)) {
    for (let i = 0; i + 1 < entry.length; i += 2) fields.set(toText(entry[i]), toText(entry[i + 1]));
  }
  return fields;
}

/**
 * A subscription to `+switch-master` on the first sentinel that accepts it. Messages for other services
 * are ignored. If the sentinel connection is lost, pending and later `next()` calls reject with its
 * ConnectionError: a switch may have been missed, so resolve the master again and open a new watch.
 */
export class SwitchMasterWatch {
  private readonly switches: MasterSwitch[] = [];
  private waiting: PromiseWithResolvers<MasterSwitch> | undefined;
  private failure: Error | undefined;

  private constructor(private readonly connection: RedisConnection, private readonly service: string) {
    connection.onPush = (items) => this.onMessage(items);
    connection.closed.then((error) =>
      this.fail(error ?? new ConnectionError(connection.endpoint, "watch closed"))
    );
  }

  /** Subscribe on the first sentinel that answers; resolves once the subscription is confirmed. */
  static async open(config: SentinelConfig, base: ConnectionOptions): Promise<SwitchMasterWatch> {
    let lastError: unknown;
    for (const address of config.sentinels) {
      let connection: RedisConnection | undefined;
      try {
        connection = await connect({ ...sentinelOptions(config, base, address), resp: 2 });
        connection.pubsubMode = true;
        const confirmed = new Promise<void>((resolve, reject) => {
          connection!.onPush = (items) => toText(items[0]) === "subscribe" && resolve();
          connection!.closed.then(reject);
        });
        connection.sendUnanswered(encodeCommands([["SUBSCRIBE", "+switch-master"]]));
        await confirmed;
        return new SwitchMasterWatch(connection, config.service);
      } catch (error) {
        connection?.close();
        lastError = error;
      }
    }
    throw new SentinelError(
      config.sentinels.map(describeEndpoint).join(", "),
      redactSecrets(
        `Cannot subscribe to +switch-master on any sentinel: ${(lastError as Error)?.message}`,
        [config.master.password, config.sentinelPassword],
      ),
    );
  }

  /** The next failover of the service (switches seen before this call are returned first, in order). */
  next(): Promise<MasterSwitch> {
    const queued = this.switches.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    this.waiting ??= Promise.withResolvers<MasterSwitch>();
    return this.waiting.promise;
  }

  close(): void {
    this.connection.close();
  }

  /** `message +switch-master "<service> <old ip> <old port> <new ip> <new port>"`. */
  private onMessage(items: RespValue[]): void {
    if (toText(items[0]) !== "message" || items.length < 3) return;
    const parts = toText(items[2]).split(" ");
    if (parts.length !== 5 || parts[0] !== this.service) return;
    const change: MasterSwitch = {
      service: parts[0],
      from: { host: parts[1], port: Number(parts[2]) },
      to: { host: parts[3], port: Number(parts[4]) },
    };
    if (this.waiting) {
      this.waiting.resolve(change);
      this.waiting = undefined;
    } else this.switches.push(change);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.waiting?.reject(this.failure);
    this.waiting = undefined;
  }
}

const RESUBSCRIBE_DELAY_MS = 200;

/**
 * The master of the service each time it changes, starting from `current`, until `signal` aborts (then
 * the iteration ends). It yields the new master's options after a `+switch-master`, and also when a watch
 * was lost and the sentinels, asked again once a new watch is up, name another master (a switch may have
 * happened while nobody listened). It rejects with a SentinelError when no sentinel could be reached for
 * `base.timeoutMs`.
 */
export async function* followMaster(
  config: SentinelConfig,
  base: ConnectionOptions,
  current: SentinelAddress,
  signal?: AbortSignal,
): AsyncGenerator<ConnectionOptions> {
  let known = current;
  const aborted = new Promise<undefined>((resolve) => {
    if (signal?.aborted) resolve(undefined);
    signal?.addEventListener("abort", () => resolve(undefined), { once: true });
  });
  let unreachableSince: number | undefined;
  while (!signal?.aborted) {
    let watch: SwitchMasterWatch;
    let master: ConnectionOptions;
    try {
      watch = await SwitchMasterWatch.open(config, base);
      try {
        master = await resolveMaster(config, base);
      } catch (error) {
        watch.close();
        throw error;
      }
      unreachableSince = undefined;
    } catch (error) {
      unreachableSince ??= performance.now();
      if (performance.now() - unreachableSince > base.timeoutMs) throw error;
      await Promise.race([delay(RESUBSCRIBE_DELAY_MS * 5), aborted]);
      continue;
    }
    try {
      if (master.host !== known.host || master.port !== known.port) {
        known = { host: master.host, port: master.port };
        yield master;
      }
      while (!signal?.aborted) {
        const change = await Promise.race([watch.next(), aborted]);
        if (change === undefined) return;
        known = change.to;
        yield nodeOptions(config, base, change.to);
      }
    } catch {
      await Promise.race([delay(RESUBSCRIBE_DELAY_MS), aborted]); // the watch was lost: subscribe again
    } finally {
      watch.close();
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
