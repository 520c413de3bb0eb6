/**
 * A real Redis Cluster for tests: N redis-server processes with `cluster-enabled yes` on ephemeral
 * 127.0.0.1 ports, joined by `redis-cli --cluster create`, ready once every node reports `cluster_state:ok`
 * and agrees on who owns every slot.
 *
 *     await using cluster = await RedisCluster.start({ masters: 3, replicas: 1 });
 *     const seed = cluster.nodes[0];
 *
 * Each node's cluster bus gets its own free port through `cluster-port` (Redis 7.0+), so no port+10000
 * guessing is needed. Nodes are RedisServer handles (test/_server.ts): stopped by handle, never by name.
 */
import { freePort, RedisServer } from "./_server.ts";
import { getTlsFiles } from "./_tls.ts";

export interface RedisClusterOptions {
  masters?: number;
  /** Replicas per master. */
  replicas?: number;
  /** `cluster-node-timeout` in ms (small, so that failovers are quick). */
  nodeTimeoutMs?: number;
  /** Extra redis-server arguments for every node. */
  args?: string[];
  /** `requirepass` and `masterauth` of every node (redis-cli gets it too). */
  password?: string;
  /** Serve TLS only, clients, cluster bus and replication alike (certificates of test/_tls.ts). */
  tls?: boolean;
}

const READY_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

export class RedisCluster implements AsyncDisposable {
  private constructor(
    readonly nodes: RedisServer[],
    private readonly password: string | undefined,
    /** Arguments of every node but its own cluster-port. */
    private readonly baseArgs: string[],
  ) {}

  private get nodeArgs(): Promise<string[]> {
    return freePort().then((
      port,
    ) => ["--cluster-enabled", "yes", "--cluster-port", String(port), ...this.baseArgs]);
  }

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicas ?? 0;
    const count = masters * (replicas + 1);
    const nodes: RedisServer[] = [];
    const baseArgs = ["--cluster-node-timeout", String(options.nodeTimeoutMs ?? 2000)];
    baseArgs.push("--cluster-require-full-coverage", "no", ...(options.args ?? []));
    if (options.password !== undefined) baseArgs.push("--masterauth", options.password);
    if (options.tls) {
      // Nodes are TLS clients of each other: they present the client certificate (the server one is not
      // for client authentication).
      const tls = await getTlsFiles();
      baseArgs.push("--tls-cluster", "yes", "--tls-replication", "yes");
      baseArgs.push("--tls-client-cert-file", tls.clientCertFile, "--tls-client-key-file", tls.clientKeyFile);
    }
    try {
      const cluster = new RedisCluster(nodes, options.password, baseArgs);
      for (let i = 0; i < count; i++) {
        nodes.push(
          await RedisServer.start({
            args: await cluster.nodeArgs,
            password: options.password,
            tls: options.tls,
          }),
        );
      }
      await cluster.redisCli(
        "--cluster",
        "create",
        ...nodes.map((node) => `${node.host}:${node.port}`),
        "--cluster-replicas",
        String(replicas),
        "--cluster-yes",
      );
      await cluster.waitHealthy();
      return cluster;
    } catch (error) {
      for (const node of nodes) await node[Symbol.asyncDispose]();
      throw error;
    }
  }

  /**
   * Starts one more node with the same settings and adds it as a master without slots
   * (`redis-cli --cluster add-node`); resolves once every node agrees it is there.
   */
  async addMaster(): Promise<RedisServer> {
    const node = await RedisServer.start({
      args: await this.nodeArgs,
      password: this.password,
      tls: !!this.nodes[0].tls,
    });
    this.nodes.push(node);
    const seed = this.nodes[0];
    await this.redisCli("--cluster", "add-node", `${node.host}:${node.port}`, `${seed.host}:${seed.port}`);
    await this.waitHealthy();
    return node;
  }

  /** The node serving `port`. */
  node(port: number): RedisServer {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`No node on port ${port}`);
    return node;
  }

  /** The current masters that own slots, from CLUSTER SHARDS as the first answering node sees it. */
  async masters(): Promise<{ node: RedisServer; id: string; slots: number }[]> {
    const lines = (await this.anyNode().cli("CLUSTER", "NODES")).split("\n");
    const out: { node: RedisServer; id: string; slots: number }[] = [];
    for (const line of lines) {
      const parts = line.trim().split(" ");
      if (parts.length < 8 || !parts[2].includes("master") || parts[2].includes("fail")) continue;
      const port = Number(parts[1].split("@")[0].split(":").pop());
      let slots = 0;
      for (const range of parts.slice(8)) {
        if (range.startsWith("[")) continue; // a migration in progress, not an owned slot
        const [start, end] = range.split("-").map(Number);
        slots += (end ?? start) - start + 1;
      }
      if (slots > 0) out.push({ node: this.node(port), id: parts[0], slots });
    }
    return out.sort((a, b) => a.node.port - b.node.port);
  }

  /** Replicas of the master whose id is given. */
  async replicasOf(masterId: string): Promise<RedisServer[]> {
    const lines = (await this.anyNode().cli("CLUSTER", "NODES")).split("\n");
    return lines
      .map((line) => line.trim().split(" "))
      .filter((parts) => parts.length >= 8 && parts[3] === masterId && !parts[2].includes("fail"))
      .map((parts) => this.node(Number(parts[1].split("@")[0].split(":").pop())));
  }

  /**
   * Polls until every running node says `cluster_state:ok`, and all of them report the same slot owners
   * and roles (CLUSTER NODES), i.e. the configuration has spread, and every replica is in sync with its master. Rejects after 30 s with what it last saw.
   */
  async waitHealthy(nodes: RedisServer[] = this.nodes): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = "";
    while (true) {
      try {
        const states = await Promise.all(nodes.map((node) => node.cli("CLUSTER", "INFO")));
        const views = (await Promise.all(nodes.map((node) => node.cli("CLUSTER", "NODES")))).map(clusterView);
        const replication = await Promise.all(nodes.map((node) => node.cli("INFO", "replication")));
        const synced = replication.every((info) =>
          !info.includes("role:slave") || info.includes("master_link_status:up")
        );
        const ok = synced && states.every((info) => info.includes("cluster_state:ok"));
        const agreed = views[0] !== "" && views.every((view) => view === views[0]);
        if (ok && agreed) return;
        last = `states: ${
          states.map((info) => /cluster_state:(\w+)/.exec(info)?.[1]).join(",")
        }; agreed: ${agreed}`;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(`Cluster not healthy within ${READY_TIMEOUT_MS} ms: ${last}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Runs redis-cli with these arguments (no -e); resolves with stdout, rejects with its output on failure. */
  async redisCli(...args: string[]): Promise<string> {
    const auth = this.password === undefined ? [] : ["--no-auth-warning", "-a", this.password];
    const tls = this.nodes[0].tls;
    if (tls) {
      auth.push("--tls", "--cacert", tls.caFile, "--cert", tls.clientCertFile, "--key", tls.clientKeyFile);
    }
    const out = await new Deno.Command("redis-cli", {
      args: [...auth, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success) {
      throw new Error(
        `redis-cli ${args.join(" ")} failed (${out.code}): ${text}${new TextDecoder().decode(out.stderr)}`,
      );
    }
    return text;
  }

  /**
   * Moves `slots` slots from one master to another with `redis-cli --cluster reshard` (keys migrate while
   * the cluster keeps serving). Resolves when redis-cli is done.
   */
  reshard(from: string, to: string, slots: number, pipeline = 100): Promise<string> {
    const seed = this.nodes[0];
    return this.redisCli(
      "--cluster",
      "reshard",
      `${seed.host}:${seed.port}`,
      "--cluster-from",
      from,
      "--cluster-to",
      to,
      "--cluster-slots",
      String(slots),
      "--cluster-yes",
      "--cluster-pipeline",
      String(pipeline),
    );
  }

  private anyNode(): RedisServer {
    const node = this.nodes.find((n) => n.pid !== -1);
    if (!node) throw new Error("No node of the cluster is running");
    return node;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.nodes.map((node) => node[Symbol.asyncDispose]()));
  }
}

/**
 * A node's view of the cluster from CLUSTER NODES, comparable across nodes: per node its id, role, master
 * and owned slots, sorted; empty when a link is not connected or a node is in handshake (not settled).
 */
function clusterView(nodes: string): string {
  const entries: string[] = [];
  for (const line of nodes.split("\n")) {
    const parts = line.trim().split(" ");
    if (parts.length < 8) continue;
    const flags = parts[2].split(",").filter((flag) => flag !== "myself");
    if (flags.includes("fail")) continue; // a stopped node: the others agree it is gone
    if (parts[7] !== "connected" || flags.includes("handshake") || flags.includes("noaddr")) return "";
    const slots = parts.slice(8).filter((range) => !range.startsWith("[")).join(" ");
    entries.push(`${parts[0]} ${flags.join(",")} ${parts[3]} ${slots}`);
  }
  return entries.sort().join("\n");
}
