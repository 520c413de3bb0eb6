/**
 * `redis-sentinel://[user:pass@]host:port[,host:port...]/service[/db]` (and `rediss-sentinel://` for TLS):
 * where the sentinels are, which service (master name) to ask them for, and how to talk to the master.
 *
 * Pure: parsing and printing only. The user and password are the master's (and its replicas'); sentinels
 * that need their own credentials take `?sentinel_user=...&sentinel_password=...`. A sentinel without a
 * port is on 26379. Errors are OptionError lines with every password replaced by `***`.
 */
import { type ConnectionOptions, OptionError } from "./options.ts";

export const DEFAULT_SENTINEL_PORT = 26379;

export interface SentinelAddress {
  host: string;
  port: number;
}

export interface SentinelConfig {
  sentinels: SentinelAddress[];
  /** The master name the sentinels monitor (`sentinel monitor <service> ...`). */
  service: string;
  /** What the URI sets for the master connection: user, password, db, tls. */
  master: Partial<ConnectionOptions>;
  /** Credentials for the sentinels themselves, when they differ (none by default). */
  sentinelUser?: string;
  sentinelPassword?: string;
}

const SCHEMES = new Set(["redis-sentinel", "rediss-sentinel"]);

/** True when the text is a sentinel URI (so the CLI can tell it from redis:// forms). */
export function isSentinelUri(text: string): boolean {
  const match = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  return match !== null && SCHEMES.has(match[1].toLowerCase());
}

/**
 * The URI with its userinfo (everything up to the last `@`, so an unencoded `@`, `/` or `?` in a password
 * is hidden too; a plain user name stays) and any `password=` / `sentinel_password=` value replaced by
 * `***`. Works on any text.
 */
export function redactSentinelUri(uri: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(uri);
  const prefix = scheme ? scheme[0] : "";
  let rest = uri.slice(prefix.length);
  const at = rest.lastIndexOf("@");
  if (at !== -1) {
    const auth = rest.slice(0, at);
    const colon = auth.indexOf(":");
    const user = colon === -1 ? "" : auth.slice(0, colon);
    rest = `${/^[a-z0-9._~%-]*$/i.test(user) && colon !== -1 ? `${user}:` : ""}***${rest.slice(at)}`;
  }
  return prefix + rest.replace(/([?&](?:sentinel_)?password=)[^&#]*/gi, "$1***");
}

/** Parse a sentinel URI; throws OptionError (one line, redacted) on anything it cannot use. */
export function parseSentinelUri(uri: string): SentinelConfig {
  const shown = redactSentinelUri(uri);
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^?#]*)(?:\?([^#]*))?/i.exec(uri);
  if (!match || !SCHEMES.has(match[1].toLowerCase())) {
    throw new OptionError(
      `Invalid sentinel URI ${shown}: expected redis-sentinel://host:port[,host:port...]/service`,
    );
  }
  const master: Partial<ConnectionOptions> = { tls: match[1].toLowerCase() === "rediss-sentinel" };
  let main = match[2];
  const at = main.lastIndexOf("@");
  if (at !== -1) {
    Object.assign(master, parseUserinfo(main.slice(0, at), shown));
    main = main.slice(at + 1);
  }
  const slash = main.indexOf("/");
  const hostList = slash === -1 ? main : main.slice(0, slash);
  const path = (slash === -1 ? "" : main.slice(slash + 1)).split("/").filter((part) => part !== "");
  const sentinels = hostList.split(",").map((item) => parseAddress(item.trim(), shown));
  if (path.length === 0) {
    throw new OptionError(
      `Sentinel URI ${shown} names no service: add the master name the sentinels monitor, e.g. redis-sentinel://${
        hostList || "host:26379"
      }/mymaster`,
    );
  }
  if (path.length > 2) {
    throw new OptionError(`Invalid sentinel URI ${shown}: expected /service or /service/db`);
  }
  const service = decode(path[0], shown);
  if (path.length === 2) master.db = parseDb(path[1], shown);
  const config: SentinelConfig = { sentinels, service, master };
  const query = new URLSearchParams(match[3] ?? "");
  if (query.has("db")) master.db = parseDb(query.get("db")!, shown);
  if (query.has("sentinel_user")) config.sentinelUser = query.get("sentinel_user")!;
  if (query.has("sentinel_password")) config.sentinelPassword = query.get("sentinel_password")!;
  if (query.has("timeout")) {
    const seconds = Number(query.get("timeout"));
    if (!(seconds > 0)) {
      throw new OptionError(`Invalid sentinel URI ${shown}: timeout must be a positive number of seconds`);
    }
    master.timeoutMs = seconds * 1000;
  }
  return config;
}

function parseUserinfo(auth: string, shown: string): Partial<ConnectionOptions> {
  const colon = auth.indexOf(":");
  if (colon === -1) return { password: decode(auth, shown) }; // a lone userinfo is the password
  const out: Partial<ConnectionOptions> = { password: decode(auth.slice(colon + 1), shown) };
  if (colon > 0) out.user = decode(auth.slice(0, colon), shown);
  return out;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`. */
function parseAddress(item: string, shown: string): SentinelAddress {
  const match = /^(?:\[([^\]]+)\]|([^:\[\]]+))(?::(\d+))?$/.exec(item);
  if (!match) {
    throw new OptionError(
      `Invalid sentinel URI ${shown}: '${item}' is not host:port (write IPv6 addresses in brackets, [::1]:26379)`,
    );
  }
  const port = match[3] === undefined ? DEFAULT_SENTINEL_PORT : Number(match[3]);
  if (port < 1 || port > 65535) {
    throw new OptionError(`Invalid sentinel URI ${shown}: port ${port} is out of range`);
  }
  return { host: match[1] ?? match[2], port };
}

function parseDb(text: string, shown: string): number {
  const db = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(db)) {
    throw new OptionError(`Invalid sentinel URI ${shown}: database must be a number >= 0, got ${text}`);
  }
  return db;
}

function decode(text: string, shown: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new OptionError(`Invalid sentinel URI ${shown}: bad %-escape`);
  }
}
