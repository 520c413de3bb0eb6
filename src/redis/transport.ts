/**
 * Opens the byte stream to one Redis: TCP (no-delay), TLS (CA, client certificate, SNI) or a unix socket.
 * Knows nothing of RESP.
 */
import { type ConnectionOptions, describeEndpoint, OptionError } from "./options.ts";
import { ConnectionError, explainConnectFailure } from "./errors.ts";
import { answersPlainResp } from "./plain_probe.ts";

const pemCache = new Map<string, string>();

/** What each PEM file must contain, and the option that names it. */
const PEM_KINDS = {
  ca: {
    what: "CA certificate",
    option: "--cacert",
    marker: /-----BEGIN CERTIFICATE-----/,
    label: "certificate",
  },
  cert: {
    what: "client certificate",
    option: "--cert",
    marker: /-----BEGIN CERTIFICATE-----/,
    label: "certificate",
  },
  key: {
    what: "client key",
    option: "--key",
    marker: /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    label: "private key",
  },
} as const;

/**
 * The text of a PEM file given with --cacert, --cert or --key. A file that cannot be read, or holds no PEM
 * block of the right kind (a DER file, a key given as --cacert), is the user's input: OptionError (exit 2),
 * instead of the TLS library's later, puzzling "UnknownIssuer".
 */
async function readPem(path: string, kind: keyof typeof PEM_KINDS, endpoint: string): Promise<string> {
  const cached = pemCache.get(`${kind}:${path}`);
  if (cached !== undefined) return cached;
  const { what, option, marker, label } = PEM_KINDS[kind];
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new OptionError(
      `Cannot read the ${what} file ${path} (${option}, for ${endpoint}): ${(error as Error).message}`,
    );
  }
  if (!marker.test(text)) {
    throw new OptionError(
      `${path} (${option}) is not a PEM ${label} (no ${
        kind === "key" ? "-----BEGIN PRIVATE KEY-----" : "-----BEGIN CERTIFICATE-----"
      } line): give the ${what} in PEM form (openssl ${
        kind === "key" ? "pkey" : "x509"
      } -in FILE -out FILE.pem converts DER)`,
    );
  }
  pemCache.set(`${kind}:${path}`, text);
  return text;
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
  const probing = options.tls && !options.socket;
  let probeTimer: ReturnType<typeof setTimeout> | undefined;
  const plainError = plainPortError(endpoint);
  // A TLS handshake still going after a second: ask the port in plain RESP, in parallel.
  const plainPort = new Promise<never>((_, reject) => {
    if (!probing || options.timeoutMs <= PROBE_AFTER_MS) return;
    probeTimer = setTimeout(async () => {
      if (await answersPlainResp(options.host, options.port, PROBE_WAIT_MS)) reject(plainError);
    }, PROBE_AFTER_MS);
  });
  try {
    return await Promise.race([opening, timeout, plainPort]);
  } catch (error) {
    opening.then((conn) => conn.close(), () => {});
    if (error instanceof OptionError) throw error;
    if (error === plainError) throw error;
    // A failed handshake: a plain port explains it better than the TLS library's words.
    if (probing && await answersPlainResp(options.host, options.port, PROBE_WAIT_MS)) {
      throw plainError;
    }
    throw explainConnectFailure(endpoint, error, options.tls);
  } finally {
    clearTimeout(timer);
    clearTimeout(probeTimer);
  }
}

/** How long a TLS handshake may take before riot checks whether the port is plain, and the check's wait. */
const PROBE_AFTER_MS = 1_000;
const PROBE_WAIT_MS = 1_000;

function plainPortError(endpoint: string): ConnectionError {
  return new ConnectionError(
    endpoint,
    `${endpoint} answers in plain RESP, not TLS: drop --tls (use redis://, not rediss://), or give the server's TLS port.`,
  );
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
    const cert = await readPem(options.certFile, "cert", endpoint);
    const key = await readPem(options.keyFile, "key", endpoint);
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
  if (options.caFile) out.caCerts = [await readPem(options.caFile, "ca", endpoint)];
  if (options.insecure) out.unsafelyDisableHostnameVerification = true;
  return out;
}
