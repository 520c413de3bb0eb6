/**
 * Where and how to connect to one Redis: the typed form of redis-cli style options and URIs.
 * Pure: parsing and printing only. Secrets are kept out of every string this module produces.
 */

export interface ConnectionOptions {
  host: string;
  port: number;
  /** Unix socket path; when set it wins over host and port. */
  socket?: string;
  user?: string;
  password?: string;
  db: number;
  /** Command and connect timeout in milliseconds (redis-cli's -o is seconds; the CLI converts). */
  timeoutMs: number;
  tls: boolean;
  /** PEM files. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Skip hostname verification (Deno always verifies the certificate chain; see README). */
  insecure: boolean;
  /** TLS server name to send and verify, when it differs from the host connected to. */
  sni?: string;
  /** 3: HELLO 3 (falls back to 2 on old servers); 2: RESP2 only. */
  resp: 2 | 3;
  /** Cluster mode requested (-c). */
  cluster: boolean;
  /** Connections per pool (-m). */
  pool: number;
  /** CLIENT SETNAME value. */
  clientName?: string;
}

export const DEFAULT_CONNECTION: Readonly<ConnectionOptions> = Object.freeze({
  host: "127.0.0.1",
  port: 6379,
  db: 0,
  timeoutMs: 60_000,
  tls: false,
  insecure: false,
  resp: 3,
  cluster: false,
  pool: 8,
});

/** A URI or option value the user gave that cannot be used. Its message is one line, secrets removed. */
export class OptionError extends Error {
  override name = "OptionError";
}

/** "host:port" or "unix:/path", for messages. Never contains credentials. */
export function describeEndpoint(options: Pick<ConnectionOptions, "host" | "port" | "socket">): string {
  if (options.socket) return `unix:${options.socket}`;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return `${host}:${options.port}`;
}

const UNIX_SCHEMES = new Set(["unix", "redis+socket", "redis-socket"]);

/**
 * The URI with any password replaced by `***`: in the userinfo (up to the last `@` of a redis:// URI, so
 * an unencoded `@` or `/` in a password is hidden too) and in a `password=` query parameter. Works on text
 * that does not parse as a URI too.
 */
export function redactUri(uri: string): string {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^?#]*)(.*)$/is.exec(uri);
  if (!match) return uri;
  const [, scheme, main, rest] = match;
  const at = userinfoEnd(scheme, main);
  let head = main;
  if (at !== -1) {
    const auth = main.slice(0, at);
    const colon = auth.indexOf(":");
    head = `${colon === -1 ? "***" : `${auth.slice(0, colon)}:***`}${main.slice(at)}`;
  }
  return `${scheme}://${head}${rest.replace(/([?&]password=)[^&#]*/gi, "$1***")}`;
}

/**
 * Where the userinfo of `main` (the URI between `://` and `?`/`#`) ends, at its `@`; -1 when it has none.
 * redis://: the last `@`. unix://: only `unix://user:pass@/path`, the first `@` followed by `/`.
 */
function userinfoEnd(scheme: string, main: string): number {
  if (!UNIX_SCHEMES.has(scheme.toLowerCase())) return main.lastIndexOf("@");
  return main.startsWith("/") ? -1 : main.indexOf("@/");
}

/** Remove every occurrence of the given secrets from a text (for error messages and logs). */
export function redactSecrets(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length > 0) out = out.split(secret).join("***");
  }
  return out;
}

/**
 * Parse `redis://[user[:pass]@]host[:port][/db]`, `rediss://...` (TLS), `unix:///path?db=N&password=P` or
 * `redis+socket:///path`, plus query options `db`, `password`, `user`, `timeout` (seconds),
 * `insecure`. Returns only the fields the URI sets. Throws OptionError with the redacted URI.
 */
export function parseRedisUri(uri: string): Partial<ConnectionOptions> {
  const shown = redactUri(uri);
  const match = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri);
  if (!match) throw new OptionError(`Invalid URI ${shown}: expected redis://, rediss:// or unix://`);
  const scheme = match[1].toLowerCase();
  const out: Partial<ConnectionOptions> = {};
  let query: URLSearchParams;
  if (scheme === "redis" || scheme === "rediss") {
    let url: URL;
    try {
      // URL does not know these schemes' ports; parse them as http to get host/port/path handling.
      url = new URL(`http://${uri.slice(match[0].length)}`);
    } catch {
      throw new OptionError(`Invalid URI ${shown}: cannot parse it`);
    }
    if (url.username) out.user = decodeURIComponent(url.username);
    if (url.password) out.password = decodeURIComponent(url.password);
    if (out.user && !url.password && !uri.slice(match[0].length).split("@")[0].includes(":")) {
      // redis://secret@host: a lone userinfo is the password, as redis-cli reads it.
      out.password = out.user;
      delete out.user;
    }
    out.tls = scheme === "rediss";
    if (url.hostname) out.host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    if (url.port) out.port = Number(url.port);
    const path = url.pathname.replace(/^\/+/, "");
    if (path !== "") out.db = parseDb(path, shown);
    query = url.searchParams;
  } else if (UNIX_SCHEMES.has(scheme)) {
    // Parsed by hand: URL would lower-case and IDNA-encode the first path segment as a host name.
    const rest = uri.slice(match[0].length);
    const end = rest.search(/[?#]/);
    let main = end === -1 ? rest : rest.slice(0, end);
    query = new URLSearchParams(end === -1 || rest[end] === "#" ? "" : rest.slice(end + 1).split("#")[0]);
    const at = userinfoEnd(scheme, main);
    try {
      if (at !== -1) {
        const auth = main.slice(0, at);
        const colon = auth.indexOf(":");
        if (colon === -1) out.password = decodeURIComponent(auth);
        else {
          if (colon > 0) out.user = decodeURIComponent(auth.slice(0, colon));
          out.password = decodeURIComponent(auth.slice(colon + 1));
        }
        main = main.slice(at + 1);
      }
      main = decodeURIComponent(main);
    } catch {
      throw new OptionError(`Invalid URI ${shown}: bad %-escape`);
    }
    const path = main.startsWith("/") ? main : `/${main}`; // unix://tmp/r.sock: read as /tmp/r.sock
    if (path === "/") throw new OptionError(`Invalid URI ${shown}: no socket path`);
    out.socket = path;
  } else {
    throw new OptionError(
      `Invalid URI ${shown}: unknown scheme ${scheme}, use redis://, rediss:// or unix://`,
    );
  }
  if (query.has("db")) out.db = parseDb(query.get("db")!, shown);
  if (query.has("password")) out.password = query.get("password")!;
  if (query.has("user")) out.user = query.get("user")!;
  if (query.has("timeout")) {
    const seconds = Number(query.get("timeout"));
    if (!(seconds > 0)) {
      throw new OptionError(`Invalid URI ${shown}: timeout must be a positive number of seconds`);
    }
    out.timeoutMs = seconds * 1000;
  }
  if (query.has("insecure")) out.insecure = query.get("insecure") !== "false";
  return out;
}

function parseDb(text: string, shown: string): number {
  const db = Number(text);
  if (!Number.isInteger(db) || db < 0) {
    throw new OptionError(`Invalid URI ${shown}: database must be a number >= 0, got ${text}`);
  }
  return db;
}
