/**
 * Throwaway TLS material for tests, made with the `openssl` CLI at test time.
 *
 * One set per process (per isolate, under `deno test --parallel`), cached in a temp dir that is removed,
 * best-effort, when the isolate unloads. Keys are EC P-256 in PKCS#8 PEM; certificates last 2 days. The
 * extensions are the ones rustls (Deno) and OpenSSL (redis-server, redis-cli) both insist on: the CA has
 * `basicConstraints critical CA:TRUE` and `keyCertSign`; leaf certificates have `CA:FALSE`,
 * `digitalSignature` and the right `extendedKeyUsage`; the server certificate names `localhost` and
 * `127.0.0.1` in subjectAltName (rustls ignores the CN).
 */

/** Paths of PEM files; every file lives in `dir`. */
export interface TlsFiles {
  dir: string;
  /** The CA that signed the server and client certificates. */
  caFile: string;
  /** Server certificate (CN localhost, SAN DNS:localhost, IP:127.0.0.1). */
  certFile: string;
  /** Server private key. */
  keyFile: string;
  /** Client certificate (extendedKeyUsage clientAuth), for mutual TLS. */
  clientCertFile: string;
  /** Client private key. */
  clientKeyFile: string;
  /** A second CA that signed nothing here: verifying the server against it must fail. */
  untrustedCaFile: string;
}

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no

[dn]
CN = riot-test

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

const DAYS = "2";

let cached: Promise<TlsFiles> | undefined;

/**
 * Returns this process' TLS files, generating them on the first call. Concurrent callers share one
 * generation. Rejects when `openssl` is missing or fails (the message carries openssl's stderr); a failed
 * generation is not cached, so a later call tries again.
 */
export function getTlsFiles(): Promise<TlsFiles> {
  cached ??= generate().catch((err) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function generate(): Promise<TlsFiles> {
  const dir = await Deno.makeTempDir({ prefix: "riot-tls-" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Best effort: the OS cleans temp dirs eventually.
    }
  });
  const p = (name: string) => `${dir}/${name}`;
  const config = p("openssl.cnf");
  await Deno.writeTextFile(config, OPENSSL_CONFIG);

  const ca = { key: p("ca.key"), cert: p("ca.crt") };
  const untrusted = { key: p("untrusted-ca.key"), cert: p("untrusted-ca.crt") };
  const server = { key: p("server.key"), cert: p("server.crt") };
  const client = { key: p("client.key"), cert: p("client.crt") };

  await Promise.all([ca, untrusted, server, client].map((pair) => generateKey(pair.key)));
  await Promise.all([
    selfSigned(ca, "riot test CA", config),
    selfSigned(untrusted, "riot untrusted CA", config),
  ]);
  await Promise.all([
    signed(server, "localhost", "server_ext", ca, config, dir),
    signed(client, "riot-test-client", "client_ext", ca, config, dir),
  ]);

  return {
    dir,
    caFile: ca.cert,
    certFile: server.cert,
    keyFile: server.key,
    clientCertFile: client.cert,
    clientKeyFile: client.key,
    untrustedCaFile: untrusted.cert,
  };
}

interface KeyPair {
  key: string;
  cert: string;
}

/** genpkey writes PKCS#8 PEM ("BEGIN PRIVATE KEY"), which both rustls and OpenSSL read. */
function generateKey(keyFile: string): Promise<string> {
  return openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyFile);
}

function selfSigned(pair: KeyPair, cn: string, config: string): Promise<string> {
  return openssl(
    "req",
    ...["-x509", "-new", "-key", pair.key, "-out", pair.cert, "-days", DAYS, "-subj", `/CN=${cn}`],
    ...["-config", config, "-extensions", "ca_ext"],
  );
}

async function signed(
  pair: KeyPair,
  cn: string,
  extensions: string,
  ca: KeyPair,
  config: string,
  dir: string,
): Promise<void> {
  const csr = `${dir}/${extensions}.csr`;
  await openssl("req", "-new", "-key", pair.key, "-out", csr, "-subj", `/CN=${cn}`, "-config", config);
  await openssl(
    "x509",
    ...["-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial", randomSerial()],
    ...["-days", DAYS, "-out", pair.cert, "-extfile", config, "-extensions", extensions],
  );
}

/** A positive 63-bit serial, so two certificates from one CA never share one. */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  bytes[0] &= 0x7f;
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Runs openssl; resolves with stdout, rejects with the command and stderr when it exits non-zero. */
async function openssl(...args: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("openssl", { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error("Cannot generate test certificates: openssl is not on PATH, install it", {
        cause: err,
      });
    }
    throw err;
  }
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`openssl ${args[0]} failed with exit code ${out.code}: ${stderr}`);
  }
  return new TextDecoder().decode(out.stdout);
}
