/**
 * Real `redis-server` processes for tests, one per `RedisServer.start()`, on ephemeral 127.0.0.1 ports.
 *
 *     await using server = await RedisServer.start({ password: "secret" });
 *     assert.equal(await server.cli("PING"), "PONG");
 *
 * Each server runs in the foreground as a child of this process, with no persistence, in its own temp dir
 * (log file, unix socket). The harness only ever signals the processes it spawned, by their own handle.
 */

import { getTlsFiles, type TlsFiles } from "./_tls.ts";

export type { TlsFiles } from "./_tls.ts";

export interface RedisServerOptions {
  /** Serve TLS only (plain `port 0`), with the certificates of `getTlsFiles()`; client certs optional. */
  tls?: boolean;
  /** `requirepass` for the default user. */
  password?: string;
  /** Extra ACL users; `rules` defaults to full access, "~* &* +@all". */
  aclUsers?: { name: string; password: string; rules?: string }[];
  /** Also listen on `<dir>/redis.sock` (unixsocketperm 700). */
  unixSocket?: boolean;
  /** `notify-keyspace-events`, e.g. "KA". */
  notifyKeyspaceEvents?: string;
  /** Extra redis-server arguments, appended last, e.g. ["--maxmemory", "10mb"]. */
  args?: string[];
  /** The server binary to run (e.g. a built valkey-server, see _servers.ts); default `redis-server` on PATH. */
  binary?: string;
}

/** How long a server may take to answer PING after it is spawned. */
const READY_TIMEOUT_MS = 10_000;
/** How long a server may take to exit after SIGTERM before it gets SIGKILL. */
const STOP_TIMEOUT_MS = 5_000;
/** How often readiness is polled. */
const POLL_MS = 20;
/** How many fresh ports `start()` tries when the chosen one is taken by someone else meanwhile. */
const PORT_ATTEMPTS = 3;

/** Thrown by a launch whose port was taken between `freePort()` and the server's bind. */
class PortInUseError extends Error {}

export class RedisServer implements AsyncDisposable {
  readonly host = "127.0.0.1";
  readonly port: number;
  readonly socketPath?: string;
  readonly tls?: TlsFiles;
  readonly dir: string;
  #options: RedisServerOptions;
  #child: Deno.ChildProcess | undefined;
  #stderr: Promise<string> = Promise.resolve("");
  #stopping: Promise<void> | undefined;
  #disposed = false;

  private constructor(options: RedisServerOptions, dir: string, port: number, tls?: TlsFiles) {
    this.#options = options;
    this.dir = dir;
    this.port = port;
    this.tls = tls;
    if (options.unixSocket) this.socketPath = `${dir}/redis.sock`;
  }

  /**
   * Starts a server and resolves once it answers PING. Rejects, with redis' stderr and the tail of its log,
   * when it exits early or is not ready within 10 s; a port taken meanwhile is retried on a fresh one.
   */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const tls = options.tls ? await getTlsFiles() : undefined;
    const dir = await Deno.makeTempDir({ prefix: "riot-redis-" });
    for (let attempt = 1;; attempt++) {
      const server = new RedisServer(options, dir, await freePort(), tls);
      try {
        await server.#launch();
        return server;
      } catch (err) {
        if (err instanceof PortInUseError && attempt < PORT_ATTEMPTS) continue;
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        throw err;
      }
    }
  }

  /** PID of the current process (it changes on `restart()`); -1 when stopped. */
  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  /**
   * Runs `redis-cli -e` against this server (TLS flags and default-user password included; later flags in
   * `args`, e.g. `--user`/`--pass`, override them). Resolves with trimmed stdout; rejects with stderr when
   * redis-cli fails, including when the reply is an error (`-e`).
   */
  async cli(...args: string[]): Promise<string> {
    const flags = ["-e", "--no-auth-warning", "-h", this.host, "-p", String(this.port)];
    if (this.tls) {
      flags.push("--tls", "--cacert", this.tls.caFile);
      flags.push("--cert", this.tls.clientCertFile, "--key", this.tls.clientKeyFile);
    }
    if (this.#options.password !== undefined) flags.push("-a", this.#options.password);
    const out = await new Deno.Command("redis-cli", {
      args: [...flags, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b).trim();
    if (!out.success) {
      throw new Error(`redis-cli ${args.join(" ")} failed with exit code ${out.code}: ${decode(out.stderr)}`);
    }
    return decode(out.stdout);
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /**
   * Stops the server and starts it again on the same port (data is not kept), with the same options or,
   * when `changes` are given, with them merged in from now on: `{ notifyKeyspaceEvents: undefined }`
   * restarts it as from a config file that leaves notifications off.
   */
  async restart(changes?: Partial<RedisServerOptions>): Promise<void> {
    if (this.#disposed) throw new Error("Cannot restart a disposed RedisServer");
    await this.stop();
    if (changes) this.#options = { ...this.#options, ...changes };
    await this.#launch();
    this.#stopping = undefined;
  }

  /** Stops the server and removes its temp dir. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#disposed = true;
    await this.stop();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  #args(): string[] {
    const o = this.#options;
    const args = ["--save", "", "--appendonly", "no", "--bind", this.host, "--daemonize", "no"];
    args.push("--dir", this.dir, "--logfile", this.#logFile, "--enable-debug-command", "yes");
    if (this.tls) {
      args.push("--port", "0", "--tls-port", String(this.port), "--tls-auth-clients", "optional");
      args.push("--tls-cert-file", this.tls.certFile, "--tls-key-file", this.tls.keyFile);
      args.push("--tls-ca-cert-file", this.tls.caFile);
    } else {
      args.push("--port", String(this.port));
    }
    if (o.password !== undefined) args.push("--requirepass", o.password);
    for (const user of o.aclUsers ?? []) {
      const rules = (user.rules ?? "~* &* +@all").split(/\s+/).filter((r) => r !== "");
      args.push("--user", user.name, "on", `>${user.password}`, ...rules);
    }
    if (this.socketPath) args.push("--unixsocket", this.socketPath, "--unixsocketperm", "700");
    if (o.notifyKeyspaceEvents !== undefined) args.push("--notify-keyspace-events", o.notifyKeyspaceEvents);
    return [...args, ...(o.args ?? [])];
  }

  get #logFile(): string {
    return `${this.dir}/redis.log`;
  }

  /**
   * Spawns redis-server and polls PING until it answers. Outcomes: resolves when ready; PortInUseError when
   * it exited because the port is taken; Error with diagnostics when it exited otherwise or timed out (the
   * process is then killed and reaped).
   */
  async #launch(): Promise<void> {
    await Deno.remove(this.#logFile).catch(() => {});
    const child = new Deno.Command(this.#options.binary ?? "redis-server", {
      args: this.#args(),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#stderr = new Response(child.stderr).text().catch(() => "");
    let exited: Deno.CommandStatus | undefined;
    child.status.then((status) => exited = status);

    const deadline = Date.now() + READY_TIMEOUT_MS;
    const caCerts = this.tls ? [await Deno.readTextFile(this.tls.caFile)] : undefined;
    while (true) {
      if (exited) {
        this.#child = undefined;
        const diagnostics = await this.#diagnostics();
        if (diagnostics.includes("Address already in use")) throw new PortInUseError(diagnostics);
        throw new Error(`redis-server exited with code ${exited.code} on port ${this.port}: ${diagnostics}`);
      }
      if (await pingOnce(this.host, this.port, this.#options.password, caCerts)) return;
      if (Date.now() > deadline) {
        await this.#stop();
        const diagnostics = await this.#diagnostics();
        throw new Error(
          `redis-server on port ${this.port} did not answer PING in ${READY_TIMEOUT_MS} ms: ${diagnostics}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async #stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited: status below resolves at once.
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<true>((resolve) => timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS));
    const killed = await Promise.race([child.status.then(() => false), timedOut]);
    clearTimeout(timer);
    if (killed) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited in the meantime.
      }
    }
    await child.status;
    await this.#stderr;
    this.#child = undefined;
  }

  /** redis' stderr and the last lines of its log, for error messages. */
  async #diagnostics(): Promise<string> {
    const stderr = (await this.#stderr).trim();
    const log = await Deno.readTextFile(this.#logFile).catch(() => "");
    const tail = log.trimEnd().split("\n").slice(-20).join("\n");
    return `\n--- stderr ---\n${stderr}\n--- ${this.#logFile} (tail) ---\n${tail}`;
  }
}

/**
 * One readiness probe: connects (TLS when `caCerts` is given), authenticates when `password` is given, sends
 * PING. True only on +PONG; false on any refusal, error reply (e.g. -LOADING) or a silent server (1 s).
 */
async function pingOnce(host: string, port: number, password?: string, caCerts?: string[]): Promise<boolean> {
  let conn: Deno.Conn | undefined;
  const timer = setTimeout(() => conn?.close(), 1_000);
  try {
    conn = caCerts
      ? await Deno.connectTls({ hostname: host, port, caCerts })
      : await Deno.connect({ hostname: host, port });
    const commands = password === undefined ? [["PING"]] : [["AUTH", password], ["PING"]];
    await conn.write(new TextEncoder().encode(commands.map(encodeCommand).join("")));
    let text = "";
    const buf = new Uint8Array(4096);
    while (text.split("\r\n").length <= commands.length) {
      const n = await conn.read(buf);
      if (n === null) return false;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text.split("\r\n")[commands.length - 1] === "+PONG";
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // Closed by the timer already.
    }
  }
}

/** A RESP array of bulk strings (lengths in bytes, so any password is safe). */
function encodeCommand(args: string[]): string {
  const bulk = args.map((a) => `$${new TextEncoder().encode(a).length}\r\n${a}\r\n`);
  return `*${args.length}\r\n${bulk.join("")}`;
}

/** A port that was free on 127.0.0.1 a moment ago (bound with port 0, then released). */
export function freePort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return Promise.resolve(port);
}

async function findMissingTools(): Promise<string | undefined> {
  for (const tool of ["redis-server", "redis-cli"]) {
    try {
      await new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" }).output();
    } catch {
      return `${tool} is not on PATH: install redis-server (e.g. apt-get install redis-server)`;
    }
  }
  return undefined;
}

/** Undefined when redis-server and redis-cli are on PATH, else why not (see `serverTest`). */
export const redisServerMissing: string | undefined = await findMissingTools();

/**
 * A test definition that needs redis-server, as `Deno.test` should get it given `missing` (the reason the
 * tools are missing, or undefined): unchanged when they are there; else ignored, with its name ending in
 * "(skipped: redis-server not found)", so that the skip and its cause show in every test report.
 */
export function withServerCheck(
  definition: Deno.TestDefinition,
  missing: string | undefined,
): Deno.TestDefinition {
  if (missing === undefined) return definition;
  const tool = /^(\S+) is not on PATH/.exec(missing)?.[1] ?? "redis-server";
  return { ...definition, name: `${definition.name} (skipped: ${tool} not found)`, ignore: true };
}

/** `Deno.test` for a test that needs redis-server and redis-cli; see `withServerCheck`. */
export function serverTest(definition: Deno.TestDefinition): void {
  Deno.test(withServerCheck(definition, redisServerMissing));
}

if (redisServerMissing !== undefined) {
  console.warn(`Tests that need redis-server are skipped: ${redisServerMissing}`);
}
