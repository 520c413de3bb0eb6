/**
 * redis-cli style connection options, and their `--source-*` / `--target-*` forms.
 * `toConnectionOptions` turns parsed values into a ConnectionOptions: defaults, then the URI, then each
 * explicit option, then REDISCLI_AUTH when no password was given.
 */
import { type ConnectionOptions, DEFAULT_CONNECTION, OptionError } from "../redis/options.ts";
import { parseRedisUri, redactUri } from "../redis/uri.ts";
import { type OptionSpec, type ParsedValues, UsageError } from "./parse.ts";

export const CONNECTION_SPECS: readonly OptionSpec[] = [
  {
    long: "hostname",
    short: "h",
    kind: "string",
    key: "host",
    aliases: ["host"],
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
    bare: true,
    help: "Password; without a value, asked for on the terminal (or see --pass-env, REDISCLI_AUTH)",
  },
  {
    long: "pass-env",
    kind: "string",
    key: "passEnv",
    arg: "VAR",
    help: "Read the password from the environment variable VAR (keeps it off the command line)",
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
    kind: "duration",
    unit: "s",
    key: "timeout",
    arg: "TIME",
    min: 1,
    help: "Connect and command timeout: seconds, or with a unit (500ms, 30s, 2m)",
    defaultText: "60s",
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
    normalize: (raw) => raw.replace(/^resp/i, ""),
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
    aliases: spec.aliases?.map((alias) => `${prefix}-${alias}`),
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

/** What toConnectionOptions reads besides the options: the environment, and a terminal to ask on. */
export interface Environment {
  get(name: string): string | undefined;
  /**
   * Ask for a secret on the terminal without echoing it; undefined when there is no terminal. Absent in
   * tests and scripts that have no terminal.
   */
  askSecret?(prompt: string): string | undefined;
}

/** How the options of one layer are spelled in messages: `-p/--port` or, with a prefix, `--target-port`. */
export interface ConnectionNames {
  /** "source", "target", or undefined for the only server. */
  side?: "source" | "target";
  /** Per layer: the prefix of its options (`--source-port`), undefined for the plain ones. */
  prefixes?: readonly ("source" | "target" | undefined)[];
}

/** Options a URI always states (it names the server), and those it states only when it has them. */
const ADDRESS_KEYS = new Set(["host", "port", "socket"]);
const STATED_KEYS = new Set(["db", "user", "password", "passEnv"]);
const TLS_KEYS = new Set(["tls", "caFile", "certFile", "keyFile", "insecure", "sni"]);

/**
 * Layers, later wins: defaults, the URI (`uri`, or the last layer's `uri` value), then explicit values.
 * A flag that restates what the URI says differently (`redis://a:1 -p 3`, `redis://... --tls`) is a usage
 * error, never silently preferred. The password comes from -a (or, given bare, the terminal), --pass-env,
 * the URI, then REDISCLI_AUTH.
 */
export function toConnectionOptions(
  layers: ParsedValues[],
  env: Environment,
  uri?: string,
  names: ConnectionNames = {},
): ConnectionOptions {
  const options: ConnectionOptions = { ...DEFAULT_CONNECTION };
  const uriText = [uri, ...layers.map((values) => values.uri)].filter((text) => typeof text === "string")
    .at(-1) as string | undefined;
  let fromUri: Partial<ConnectionOptions> | undefined;
  if (uriText !== undefined) {
    try {
      fromUri = parseRedisUri(uriText);
    } catch (error) {
      if (error instanceof OptionError) throw new UsageError(error.message);
      throw error;
    }
    Object.assign(options, fromUri);
  }
  const flags: ParsedValues = {};
  const spelled = new Map<string, string>();
  layers.forEach((values, index) => {
    for (const spec of CONNECTION_SPECS) {
      const value = values[spec.key];
      if (value === undefined || spec.key === "uri") continue;
      flags[spec.key] = value;
      const prefix = names.prefixes?.[index];
      spelled.set(
        spec.key,
        prefix ? `--${prefix}-${spec.long}` : `${spec.short ? `-${spec.short}/` : ""}--${spec.long}`,
      );
    }
  });
  if (fromUri !== undefined) checkAgainstUri(fromUri, flags, spelled, uriText!, names.side);
  for (const [key, value] of Object.entries(flags)) {
    switch (key) {
      case "timeout":
        options.timeoutMs = value as number;
        break;
      case "resp":
        options.resp = value === "2" ? 2 : 3;
        break;
      case "password":
      case "passEnv":
        break;
      default:
        (options as unknown as Record<string, unknown>)[key] = value;
    }
  }
  const password = passwordFrom(flags, spelled, env, names.side);
  if (password !== undefined) options.password = password;
  if (options.password === undefined) {
    const fromEnv = env.get("REDISCLI_AUTH");
    if (fromEnv) options.password = fromEnv;
  }
  if (options.user !== undefined && options.password === undefined) {
    throw new UsageError(
      `--user ${options.user} needs a password: add -a/--pass, --pass-env VAR or set REDISCLI_AUTH`,
    );
  }
  if ((options.certFile === undefined) !== (options.keyFile === undefined)) {
    throw new UsageError("A client certificate needs both --cert and --key");
  }
  if ((options.caFile || options.certFile || options.insecure || options.sni) && !options.tls) {
    options.tls = true; // TLS material implies TLS, as redis-cli does with --cacert
  }
  return options;
}

function checkAgainstUri(
  fromUri: Partial<ConnectionOptions>,
  flags: ParsedValues,
  spelled: Map<string, string>,
  uriText: string,
  side: string | undefined,
): void {
  const stated = { ...DEFAULT_CONNECTION, ...fromUri } as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(flags)) {
    let clash = false;
    let advice = "give it in the URI or drop the URI";
    if (ADDRESS_KEYS.has(key)) clash = String(stated[key]).toLowerCase() !== String(value).toLowerCase();
    else if (STATED_KEYS.has(key)) {
      const uriKey = key === "passEnv" ? "password" : key;
      clash = (fromUri as Record<string, unknown>)[uriKey] !== undefined &&
        (key === "passEnv" || (fromUri as Record<string, unknown>)[uriKey] !== value);
    } else if (TLS_KEYS.has(key) && fromUri.tls === false && value !== false) {
      clash = true;
      advice = "redis:// is a plain connection: write rediss:// for TLS";
    }
    if (clash) {
      throw new UsageError(
        `The ${side ?? "server"} is given twice: by the URI ${redactUri(uriText)} and by ${
          spelled.get(key)
        }: ${advice}`,
      );
    }
  }
}

/** The password of -a (asked for when given bare) or --pass-env; undefined when neither is given. */
function passwordFrom(
  flags: ParsedValues,
  spelled: Map<string, string>,
  env: Environment,
  side: string | undefined,
): string | undefined {
  const pass = spelled.get("password");
  const passEnv = spelled.get("passEnv");
  if (pass !== undefined && passEnv !== undefined) {
    throw new UsageError(`${pass} and ${passEnv} both give the password: keep one of them`);
  }
  if (passEnv !== undefined) {
    const name = flags.passEnv as string;
    const value = env.get(name);
    if (value === undefined || value === "") {
      throw new UsageError(`${passEnv} ${name}: the environment variable ${name} is not set (or is empty)`);
    }
    return value;
  }
  if (flags.password === true) {
    const whose = side ? `${side[0].toUpperCase()}${side.slice(1)} password: ` : "Password: ";
    const asked = env.askSecret?.(whose);
    if (asked === undefined) {
      throw new UsageError(
        `${pass} needs a value: there is no terminal to ask on. Give it, or use --pass-env VAR or REDISCLI_AUTH`,
      );
    }
    return asked;
  }
  return flags.password as string | undefined;
}
