/**
 * redis-cli style connection options, and their `--source-*` / `--target-*` forms.
 * `toConnectionOptions` turns parsed values into a ConnectionOptions: defaults, then the URI, then each
 * explicit option, then REDISCLI_AUTH when no password was given.
 */
import { type ConnectionOptions, DEFAULT_CONNECTION, OptionError, parseRedisUri } from "../redis/options.ts";
import { type OptionSpec, type ParsedValues, UsageError } from "./parse.ts";

export const CONNECTION_SPECS: readonly OptionSpec[] = [
  {
    long: "hostname",
    short: "h",
    kind: "string",
    key: "host",
    arg: "HOST",
    help: "Server host",
    defaultText: "127.0.0.1",
  },
  {
    long: "port",
    short: "p",
    kind: "int",
    key: "port",
    arg: "PORT",
    min: 1,
    max: 65535,
    help: "Server port",
    defaultText: "6379",
  },
  {
    long: "socket",
    short: "s",
    kind: "string",
    key: "socket",
    arg: "PATH",
    help: "Unix socket (overrides host and port)",
  },
  { long: "user", kind: "string", key: "user", arg: "NAME", help: "ACL user name (needs a password)" },
  {
    long: "pass",
    short: "a",
    kind: "string",
    key: "password",
    arg: "PASSWORD",
    help: "Password (or set REDISCLI_AUTH)",
  },
  {
    long: "uri",
    short: "u",
    kind: "string",
    key: "uri",
    arg: "URI",
    help: "redis://[user:pass@]host:port[/db], rediss://..., unix:///path",
  },
  {
    long: "timeout",
    short: "o",
    kind: "number",
    key: "timeout",
    arg: "SEC",
    min: 0.001,
    help: "Connect and command timeout in seconds",
    defaultText: "60",
  },
  {
    long: "db",
    short: "n",
    kind: "int",
    key: "db",
    arg: "N",
    min: 0,
    help: "Database number",
    defaultText: "0",
  },
  { long: "cluster", short: "c", kind: "flag", key: "cluster", help: "Cluster mode" },
  { long: "tls", short: "t", kind: "flag", key: "tls", help: "Connect with TLS" },
  {
    long: "cacert",
    kind: "string",
    key: "caFile",
    arg: "FILE",
    help: "CA certificate (PEM) that signed the server's certificate",
  },
  { long: "cert", kind: "string", key: "certFile", arg: "FILE", help: "Client certificate (PEM)" },
  { long: "key", kind: "string", key: "keyFile", arg: "FILE", help: "Client private key (PEM)" },
  {
    long: "insecure",
    kind: "flag",
    key: "insecure",
    help: "Skip the hostname check of the server certificate",
  },
  {
    long: "sni",
    kind: "string",
    key: "sni",
    arg: "NAME",
    help: "TLS server name, when it differs from the host",
  },
  {
    long: "pool",
    short: "m",
    kind: "int",
    key: "pool",
    arg: "N",
    min: 1,
    help: "Most connections riot opens to this server",
    defaultText: "8",
  },
  {
    long: "resp",
    kind: "string",
    key: "resp",
    arg: "2|3",
    choices: ["2", "3"],
    help: "Protocol version",
    defaultText: "3",
  },
];

/** "CA certificate" stays, "Server host" becomes "server host": for help text after a prefix. */
export function lowerFirst(text: string): string {
  return /^[A-Z][A-Z]/.test(text) ? text : text.charAt(0).toLowerCase() + text.slice(1);
}

/** The same options, prefixed (`--source-port`), long form only, with keys prefixed (`source.port`). */
export function prefixedConnectionSpecs(prefix: "source" | "target"): OptionSpec[] {
  return CONNECTION_SPECS.map((spec) => ({
    ...spec,
    short: undefined,
    long: `${prefix}-${spec.long}`,
    key: `${prefix}.${spec.key}`,
    help: `${prefix === "source" ? "Source" : "Target"}: ${lowerFirst(spec.help)}`,
  }));
}

/** Values whose keys start with `prefix.`, without the prefix. */
export function pickPrefixed(values: ParsedValues, prefix: string): ParsedValues {
  const out: ParsedValues = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.startsWith(`${prefix}.`)) out[key.slice(prefix.length + 1)] = value;
  }
  return out;
}

/** True when any connection option is set in `values`. */
export function hasConnectionValues(values: ParsedValues): boolean {
  return CONNECTION_SPECS.some((spec) => values[spec.key] !== undefined);
}

/**
 * Layers, later wins: defaults, `uri` (or `values.uri`), then explicit values. `env` supplies
 * REDISCLI_AUTH when no layer set a password.
 */
export function toConnectionOptions(
  layers: ParsedValues[],
  env: { get(name: string): string | undefined },
  uri?: string,
): ConnectionOptions {
  const options: ConnectionOptions = { ...DEFAULT_CONNECTION };
  const applyUri = (text: string) => {
    try {
      Object.assign(options, parseRedisUri(text));
    } catch (error) {
      if (error instanceof OptionError) throw new UsageError(error.message);
      throw error;
    }
  };
  if (uri !== undefined) applyUri(uri);
  for (const values of layers) {
    if (typeof values.uri === "string") applyUri(values.uri);
    for (const spec of CONNECTION_SPECS) {
      const value = values[spec.key];
      if (value === undefined || spec.key === "uri") continue;
      switch (spec.key) {
        case "timeout":
          options.timeoutMs = Math.round((value as number) * 1000);
          break;
        case "resp":
          options.resp = value === "2" ? 2 : 3;
          break;
        default:
          (options as unknown as Record<string, unknown>)[spec.key] = value;
      }
    }
  }
  if (options.password === undefined) {
    const fromEnv = env.get("REDISCLI_AUTH");
    if (fromEnv) options.password = fromEnv;
  }
  if (options.user !== undefined && options.password === undefined) {
    throw new UsageError(`--user ${options.user} needs a password: add -a/--pass or set REDISCLI_AUTH`);
  }
  if ((options.certFile === undefined) !== (options.keyFile === undefined)) {
    throw new UsageError("A client certificate needs both --cert and --key");
  }
  if ((options.caFile || options.certFile || options.insecure || options.sni) && !options.tls) {
    options.tls = true; // TLS material implies TLS, as redis-cli does with --cacert
  }
  return options;
}
