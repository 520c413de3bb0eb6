/**
 * A real Sentinel set-up for tests: one master, one replica (RedisServer handles) and three sentinels
 * (`redis-server <conf> --sentinel`) on ephemeral 127.0.0.1 ports, monitoring the master as `mymaster`
 * with a short down-after-milliseconds. Ready once every sentinel sees the replica and the two other
 * sentinels (polled, never a blind sleep).
 *
 *     await using setup = await SentinelSetup.start();
 *     // redis-sentinel://127.0.0.1:<setup.sentinelPorts[0]>,.../mymaster
 *
 * Every process is stopped by its own handle.
 */
import { freePort, RedisServer } from "./_server.ts";

const READY_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

/** One sentinel process. */
export class SentinelProcess implements AsyncDisposable {
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly child: Deno.ChildProcess,
  ) {}

  static async start(masterPort: number, service: string): Promise<SentinelProcess> {
    const dir = await Deno.makeTempDir({ prefix: "riot-sentinel-" });
    const port = await freePort();
    const conf = [
      `port ${port}`,
      "bind 127.0.0.1",
      "protected-mode no",
      `dir ${dir}`,
      `logfile ${dir}/sentinel.log`,
      `sentinel monitor ${service} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${service} 1000`,
      `sentinel failover-timeout ${service} 10000`,
      `sentinel parallel-syncs ${service} 1`,
    ].join("\n");
    await Deno.writeTextFile(`${dir}/sentinel.conf`, `${conf}\n`);
    const child = new Deno.Command("redis-server", {
      args: [`${dir}/sentinel.conf`, "--sentinel"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const sentinel = new SentinelProcess(port, dir, child);
    await sentinel.waitFor((out) => out === "PONG", "PING");
    return sentinel;
  }

  /** redis-cli -e against this sentinel; trimmed stdout. */
  async cli(...args: string[]): Promise<string> {
    const out = await new Deno.Command("redis-cli", {
      args: ["-e", "-h", "127.0.0.1", "-p", String(this.port), ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (!out.success) throw new Error(`redis-cli ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    return text;
  }

  /** Polls `cli(...args)` until `ok(output)`; rejects after 30 s with the last output. */
  async waitFor(ok: (output: string) => boolean, ...args: string[]): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = "";
    while (true) {
      try {
        last = await this.cli(...args);
        if (ok(last)) return;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(`sentinel ${this.port}: ${args.join(" ")} never ready: ${last}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await this.child.status;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

export class SentinelSetup implements AsyncDisposable {
  readonly service = "mymaster";

  private constructor(
    readonly master: RedisServer,
    readonly replica: RedisServer,
    readonly sentinels: SentinelProcess[],
  ) {}

  static async start(): Promise<SentinelSetup> {
    const master = await RedisServer.start();
    const replica = await RedisServer.start({ args: ["--replicaof", master.host, String(master.port)] });
    const sentinels: SentinelProcess[] = [];
    try {
      for (let i = 0; i < 3; i++) sentinels.push(await SentinelProcess.start(master.port, "mymaster"));
      const setup = new SentinelSetup(master, replica, sentinels);
      await setup.waitReady();
      return setup;
    } catch (error) {
      for (const sentinel of sentinels) await sentinel[Symbol.asyncDispose]();
      await replica[Symbol.asyncDispose]();
      await master[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** `redis-sentinel://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/mymaster` plus `suffix`. */
  uri(suffix = ""): string {
    return `redis-sentinel://${
      this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")
    }/${this.service}${suffix}`;
  }

  /** Every sentinel knows the replica (in sync) and the two other sentinels. */
  async waitReady(): Promise<void> {
    for (const sentinel of this.sentinels) {
      await sentinel.waitFor(
        (out) => {
          const fields = out.split("\n");
          const get = (name: string) => fields[fields.indexOf(name) + 1];
          return get("num-slaves") === "1" && get("num-other-sentinels") === "2";
        },
        "SENTINEL",
        "MASTER",
        this.service,
      );
      await sentinel.waitFor(
        (out) => out.includes("master-link-status\nok"),
        "SENTINEL",
        "REPLICAS",
        this.service,
      );
    }
  }

  /**
   * Resolves once the replica has applied everything the master had written when this was called (its
   * replication offset reached the master's): call it before a SENTINEL FAILOVER, which promotes the
   * replica as it is, so writes still in flight would be lost. Polled; rejects after 30 s.
   */
  async replicaCaughtUp(): Promise<void> {
    const offset = (info: string, field: string) =>
      Number(new RegExp(`^${field}:(\\d+)`, "m").exec(info)?.[1]);
    const target = offset(await this.master.cli("INFO", "replication"), "master_repl_offset");
    if (Number.isNaN(target)) throw new Error("the master's INFO replication has no master_repl_offset");
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = "";
    while (true) {
      last = await this.replica.cli("INFO", "replication");
      const linked = /^master_link_status:up/m.test(last);
      if (linked && offset(last, "slave_repl_offset") >= target) return;
      if (Date.now() > deadline) {
        throw new Error(`replica never reached the master's offset ${target}: ${last.replace(/\s+/g, " ")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const sentinel of this.sentinels) await sentinel[Symbol.asyncDispose]();
    await this.replica[Symbol.asyncDispose]();
    await this.master[Symbol.asyncDispose]();
  }
}
