/**
 * Opens the byte stream to one Redis: TCP (no-delay), TLS (CA, client certificate, SNI) or a unix socket.
 * Knows nothing of RESP.
 */
import { type ConnectionOptions, describeEndpoint } from "./options.ts";
import { ConnectionError, explainConnectFailure } from "./errors.ts";

const pemCache = new Map<string, string>();

async function readPem(path: string, what: string, endpoint: string): Promise<string> {
  const cached = pemCache.get(path);
  if (cached !== undefined) return cached;
  try {
    const text = await Deno.readTextFile(path);
    pemCache.set(path, text);
    return text;
  } catch (error) {
    throw new ConnectionError(
      endpoint,
      `Cannot read the ${what} file ${path} for ${endpoint}: ${(error as Error).message}`,
    );
  }
}

/**
 * Connect within `options.timeoutMs`. Rejects with a ConnectionError whose message names the endpoint and
 * what to check.
 */
export async function openTransport(options: ConnectionOptions): Promise<Deno.Conn> {
  const endpoint = describeEndpoint(options);
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(
        new ConnectionError(
          endpoint,
          `Connecting to ${endpoint} timed out after ${
            options.timeoutMs / 1000
          } s. Check the host, port and firewall, or raise --timeout.`,
        ),
      );
    }, options.timeoutMs);
  });
  const opening = connect(options, endpoint, abort.signal);
  try {
    return await Promise.race([opening, timeout]);
  } catch (error) {
    opening.then((conn) => conn.close(), () => {});
    throw explainConnectFailure(endpoint, error, options.tls);
  } finally {
    clearTimeout(timer);
  }
}

async function connect(
  options: ConnectionOptions,
  endpoint: string,
  signal: AbortSignal,
): Promise<Deno.Conn> {
  if (options.socket) {
    const conn = await Deno.connect({ transport: "unix", path: options.socket });
    if (!options.tls) return conn;
    return await handshake(
      await Deno.startTls(conn as unknown as Deno.TcpConn, await tlsOptions(options, endpoint)),
    );
  }
  if (!options.tls) {
    const conn = await Deno.connect({ hostname: options.host, port: options.port, signal });
    conn.setNoDelay(true);
    conn.setKeepAlive(true);
    return conn;
  }
  const tls = await tlsOptions(options, endpoint);
  if (options.certFile || options.keyFile) {
    if (!options.certFile || !options.keyFile) {
      throw new ConnectionError(endpoint, `A client certificate needs both --cert and --key (${endpoint})`);
    }
    if (options.sni && options.sni !== options.host) {
      throw new ConnectionError(
        endpoint,
        `--sni with a client certificate is not supported: connect by the certificate's name with -h ${options.sni}`,
      );
    }
    const cert = await readPem(options.certFile, "client certificate", endpoint);
    const key = await readPem(options.keyFile, "client key", endpoint);
    return await handshake(
      await Deno.connectTls({ ...tls, port: options.port, hostname: options.host, cert, key }),
    );
  }
  if (options.sni && options.sni !== options.host) {
    const tcp = await Deno.connect({ hostname: options.host, port: options.port, signal });
    tcp.setNoDelay(true);
    return await handshake(await Deno.startTls(tcp, tls));
  }
  return await handshake(await Deno.connectTls({ ...tls, port: options.port, hostname: options.host }));
}

/** Finish the TLS handshake now, so that certificate problems surface as connect failures. */
async function handshake(conn: Deno.TlsConn): Promise<Deno.TlsConn> {
  try {
    await conn.handshake();
    return conn;
  } catch (error) {
    conn.close();
    throw error;
  }
}

async function tlsOptions(options: ConnectionOptions, endpoint: string): Promise<Deno.StartTlsOptions> {
  const out: Deno.StartTlsOptions = { hostname: options.sni ?? options.host };
  if (options.caFile) out.caCerts = [await readPem(options.caFile, "CA certificate", endpoint)];
  if (options.insecure) out.unsafelyDisableHostnameVerification = true;
  return out;
}
