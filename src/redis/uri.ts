/**
 * Redis URIs, read the way redis-cli users write them, and printed without their secrets. Pure.
 *
 * Forms: `redis://[[user]:password@]host[:port][/db][?options]`, `rediss://...` (TLS), `host:port` (RIOT's
 * form, read as `redis://host:port`), `unix://[[user]:password@]/path[?options]` (also `redis+socket://`).
 * The userinfo of a redis:// URI runs from `://` to the **last** `@`, so a password may hold `#`, `?`, `/`,
 * `:` or `@` unencoded; %-escapes are decoded (`%25` is a literal `%`) and a `%` not followed by two hex
 * digits is an error, never guessed at. A lone userinfo (`redis://secret@host`) is the password.
 * Options: db, password, user, timeout (seconds, or with a unit: 500ms, 2s), insecure.
 *
 * Every error is an OptionError (a usage error) whose message shows the URI with its userinfo and any
 * `password=` value replaced by `***`.
 */
import { type ConnectionOptions, OptionError } from "./options.ts";

const UNIX_SCHEMES = new Set(["unix", "redis+socket", "redis-socket"]);
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
/** A host name or IPv4 address; IPv6 goes in brackets. */
const HOST_NAME = /^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/i;
const IPV6 = /^\[([0-9a-f:.]+)\]$/i;
/** RIOT's `host:port`, without a scheme. */
const HOST_PORT = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+):(\d+)$/i;
/** User names that may be printed: nothing that could be a mistyped password's reserved characters. */
const PLAIN_USER = /^[a-z0-9._~!$&'()*+,;=%-]+$/i;

/**
 * The URI with its userinfo (up to the last `@`) and any `password=` value replaced by `***`. With
 * `keepUser` (for URIs that parsed) a plain user name stays (`redis://alice:***@h`); without it (for text
 * that did not parse, where no part of the userinfo can be trusted to be the user) everything between
 * `://` and the last `@` goes. Works on any text.
 */
export function redactUri(uri: string, keepUser = true): string {
  const scheme = SCHEME.exec(uri);
  const prefix = scheme ? scheme[0] : "";
  let rest = uri.slice(prefix.length);
  const unix = scheme !== null && UNIX_SCHEMES.has(scheme[1].toLowerCase());
  const at = unix ? (rest.startsWith("/") ? -1 : rest.indexOf("@/")) : rest.lastIndexOf("@");
  if (at !== -1) {
    const auth = rest.slice(0, at);
    const colon = auth.indexOf(":");
    const user = colon === -1 ? "" : auth.slice(0, colon);
    const shownUser = !keepUser || colon === -1 ? "" : PLAIN_USER.test(user) || user === "" ? `${user}:` : "";
    rest = `${shownUser}***${rest.slice(at)}`;
  }
  return prefix + rest.replace(/([?&]password=)[^&]*/gi, "$1***");
}

/**
 * Parse a URI (see the module comment). Returns only the fields the URI sets. Throws OptionError with the
 * redacted URI; never anything else.
 */
export function parseRedisUri(uri: string): Partial<ConnectionOptions> {
  const shown = redactUri(uri, false);
  const fail = (what: string) => new OptionError(`Invalid URI ${shown}: ${what}`);
  const scheme = SCHEME.exec(uri);
  if (!scheme) {
    if (HOST_PORT.test(uri)) return parseTcp(uri, false, fail);
    throw fail("expected redis://, rediss://, unix:// or host:port");
  }
  const name = scheme[1].toLowerCase();
  const rest = uri.slice(scheme[0].length);
  if (name === "redis" || name === "rediss") return parseTcp(rest, name === "rediss", fail);
  if (UNIX_SCHEMES.has(name)) return parseUnix(rest, fail);
  throw fail(`unknown scheme ${name}, use redis://, rediss://, unix:// or host:port`);
}

type Fail = (what: string) => OptionError;

/** `[[user]:password@]host[:port][/db][?options]` after `redis://` or `rediss://`. */
function parseTcp(rest: string, tls: boolean, fail: Fail): Partial<ConnectionOptions> {
  const out: Partial<ConnectionOptions> = {};
  const at = rest.lastIndexOf("@");
  if (at !== -1) Object.assign(out, parseUserinfo(rest.slice(0, at), fail));
  const server = at === -1 ? rest : rest.slice(at + 1);
  if (server.includes("#")) {
    throw fail("'#' after the host: a URI fragment means nothing here (in a password, put it before the @)");
  }
  const queryAt = server.indexOf("?");
  const address = queryAt === -1 ? server : server.slice(0, queryAt);
  const slash = address.indexOf("/");
  const hostPort = slash === -1 ? address : address.slice(0, slash);
  out.tls = tls;
  Object.assign(out, parseHostPort(hostPort, fail));
  const path = slash === -1 ? "" : address.slice(slash + 1);
  if (path !== "") out.db = parseDb(path, fail);
  if (queryAt !== -1) Object.assign(out, parseQuery(server.slice(queryAt + 1), fail));
  return out;
}

function parseHostPort(text: string, fail: Fail): Partial<ConnectionOptions> {
  const out: Partial<ConnectionOptions> = {};
  const v6End = text.startsWith("[") ? text.indexOf("]") : -1;
  const colon = text.indexOf(":", v6End + 1);
  const host = colon === -1 ? text : text.slice(0, colon);
  if (host !== "") {
    const v6 = IPV6.exec(host);
    if (v6) out.host = v6[1].toLowerCase();
    else if (HOST_NAME.test(host)) out.host = host.toLowerCase();
    else throw fail(`'${host}' is not a host name (IPv6 addresses go in brackets: [::1]:6379)`);
  }
  if (colon !== -1) {
    const port = text.slice(colon + 1);
    const number = Number(port);
    if (!/^\d+$/.test(port) || number < 1 || number > 65535) {
      throw fail(`port must be 1 to 65535, got ${port === "" ? "''" : port}`);
    }
    out.port = number;
  }
  return out;
}

/** `user:password`, `:password` or a lone `password`; the password may contain `:`. */
function parseUserinfo(auth: string, fail: Fail): Partial<ConnectionOptions> {
  const colon = auth.indexOf(":");
  if (colon === -1) return { password: decode(auth, "password", fail) };
  const out: Partial<ConnectionOptions> = { password: decode(auth.slice(colon + 1), "password", fail) };
  if (colon > 0) out.user = decode(auth.slice(0, colon), "user name", fail);
  return out;
}

/** `unix:///path`, `unix://[user:]password@/path`, `unix://tmp/r.sock` (read as /tmp/r.sock). */
function parseUnix(rest: string, fail: Fail): Partial<ConnectionOptions> {
  const out: Partial<ConnectionOptions> = {};
  const at = rest.startsWith("/") ? -1 : rest.indexOf("@/");
  if (at !== -1) Object.assign(out, parseUserinfo(rest.slice(0, at), fail));
  const server = at === -1 ? rest : rest.slice(at + 1);
  const queryAt = server.search(/[?#]/);
  const path = decode(queryAt === -1 ? server : server.slice(0, queryAt), "socket path", fail);
  const socket = path.startsWith("/") ? path : `/${path}`;
  if (socket === "/") throw fail("no socket path");
  out.socket = socket;
  if (queryAt !== -1 && server[queryAt] === "?") {
    Object.assign(out, parseQuery(server.slice(queryAt + 1).split("#")[0], fail));
  }
  return out;
}

const QUERY_OPTIONS = ["db", "password", "user", "timeout", "insecure"];

function parseQuery(query: string, fail: Fail): Partial<ConnectionOptions> {
  const out: Partial<ConnectionOptions> = {};
  for (const pair of query.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decode(eq === -1 ? pair : pair.slice(0, eq), "option name", fail);
    const raw = eq === -1 ? undefined : pair.slice(eq + 1);
    const value = raw === undefined
      ? ""
      : decode(raw, key === "password" ? "password" : `${key} value`, fail);
    switch (key) {
      case "db":
        out.db = parseDb(value, fail);
        break;
      case "password":
        out.password = value;
        break;
      case "user":
        out.user = value;
        break;
      case "timeout":
        out.timeoutMs = parseTimeout(value, fail);
        break;
      case "insecure":
        out.insecure = value !== "false";
        break;
      default:
        throw fail(`unknown option '${key}' (known: ${QUERY_OPTIONS.join(", ")})`);
    }
  }
  return out;
}

/** "2.5" (seconds), "500ms", "2s", "1m" -> milliseconds; must be positive. */
function parseTimeout(text: string, fail: Fail): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/i.exec(text);
  const scale = { ms: 1, s: 1000, m: 60_000 }[(match?.[2] ?? "s").toLowerCase()]!;
  const ms = match ? Math.round(Number(match[1]) * scale) : NaN;
  if (!(ms > 0)) throw fail("timeout must be a positive number of seconds (or 500ms, 2s)");
  return ms;
}

function parseDb(text: string, fail: Fail): number {
  if (!/^\d+$/.test(text)) throw fail(`database must be a number >= 0, got ${text}`);
  return Number(text);
}

/**
 * Strict %-decoding: every `%` starts two hex digits and the bytes are UTF-8 text. Anything else is an
 * error that names the part (never its text, which may be a secret).
 */
function decode(text: string, part: string, fail: Fail): string {
  if (!text.includes("%")) return text;
  try {
    if (/%(?![0-9a-f]{2})/i.test(text)) throw new URIError();
    return decodeURIComponent(text);
  } catch {
    throw fail(`bad %-escape in the ${part}: write a literal % as %25, and escapes as UTF-8 (%C3%A9)`);
  }
}

/**
 * Every text in `arg` that may be a password, for redaction: the password of a URI, and for text that does
 * not parse, its whole userinfo and the part after its first `:`. Empty for text that is not a URI (a
 * glob such as `user@*` is not a secret) or has no `@` or `password=`.
 */
export function uriSecrets(arg: string): string[] {
  if (!SCHEME.test(arg) || (!arg.includes("@") && !/password=/i.test(arg))) return [];
  try {
    const password = parseRedisUri(arg).password;
    return password ? [password] : [];
  } catch {
    const out: string[] = [];
    const rest = arg.replace(SCHEME, "");
    const at = rest.lastIndexOf("@");
    if (at > 0) {
      const auth = rest.slice(0, at);
      out.push(auth);
      const colon = auth.indexOf(":");
      if (colon !== -1 && colon < auth.length - 1) out.push(auth.slice(colon + 1));
    }
    const query = /[?&]password=([^&]*)/i.exec(rest);
    if (query && query[1] !== "") out.push(query[1]);
    return out;
  }
}
