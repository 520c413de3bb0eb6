/**
 * Where and how to connect to one Redis: the typed form of redis-cli style options and URIs.
 * Pure. URIs are read and printed by uri.ts. Secrets are kept out of every string these modules produce.
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

/** Remove every occurrence of the given secrets from a text (for error messages and logs). */
export function redactSecrets(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length > 0) out = out.split(secret).join("***");
  }
  return out;
}
