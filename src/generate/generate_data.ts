/**
 * `generate()`: writes the keys of a {@link DataGenerator} (data_generator.ts: key layout and data) to one
 * Redis over several pipelined connections, counting error replies.
 */
import { type Command, ErrorReply } from "../../resp/mod.ts";
import { connect } from "../redis/connect.ts";
import type { Commands } from "../redis/commands.ts";
import { ClusterConnection } from "../redis/cluster/cluster_connection.ts";
import { assertStandalone } from "../redis/cluster/detect.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import { DataGenerator, MSET } from "./data_generator.ts";
import { type GenerateConfig, resolveGenerateConfig } from "./generate_config.ts";

/** How many error replies `generate()` keeps the text of. */
const ERROR_SAMPLES = 5;

/** Counters passed to the progress callback after each pipeline. */
export interface GenerateProgress {
  keys: number;
  commands: number;
  errors: number;
}

export interface GenerateResult extends GenerateProgress {
  /** Up to 5 error replies, as `COMMAND key: message`. */
  firstErrors: string[];
  /** Wall time, connections included. */
  seconds: number;
  keysPerSecond: number;
  seed: number;
}

/**
 * Write `config.count` keys to the server of `connectionOptions` over `threads` connections, each with
 * `inflight` pipelines of about `batch` commands in flight. Resolves once every reply is in: error replies
 * (OOM, WRONGTYPE, ...) do not stop the run, they are counted in `errors` and the first few kept in
 * `firstErrors`. Rejects with the ConnectionError when a connection fails (the others are closed), with a
 * ClusterModeError before writing when the server is a cluster node and -c is off (or the reverse); a bad
 * config rejects with RangeError before connecting. `onProgress` sees the shared counters (do not keep it).
 */
export async function generate(
  connectionOptions: ConnectionOptions,
  config: Partial<GenerateConfig> = {},
  onProgress?: (progress: Readonly<GenerateProgress>) => void,
): Promise<GenerateResult> {
  const resolved = resolveGenerateConfig(config);
  const data = new DataGenerator(resolved);
  const started = performance.now();
  const counters: GenerateProgress = { keys: 0, commands: 0, errors: 0 };
  const firstErrors: string[] = [];
  const connections: { close(): void }[] = [];
  const cluster = connectionOptions.cluster;
  let next = 0;

  async function worker(connection: Commands): Promise<void> {
    while (next < resolved.count) {
      let commands: Command[] = [];
      const first = next;
      next = data.batch(first, resolved.count, resolved.batch, commands);
      if (cluster) commands = splitMset(commands);
      const keys = next - first; // read before awaiting: other workers move `next` meanwhile
      const replies = await connection.pipeline(commands);
      for (let i = 0; i < replies.length; i++) {
        const reply = replies[i];
        if (!(reply instanceof ErrorReply)) continue;
        counters.errors++;
        if (firstErrors.length < ERROR_SAMPLES) {
          const command = commands[i];
          const more = command[0] === MSET && command.length > 3 ? " ..." : "";
          firstErrors.push(`${text(command[0])} ${text(command[1])}${more}: ${reply.message}`);
        }
      }
      counters.keys += keys;
      counters.commands += commands.length;
      onProgress?.(counters);
    }
  }

  try {
    const workers: Commands[] = [];
    if (cluster) {
      // One cluster connection (routing by slot, `threads` connections per master) shared by the workers.
      const connection = await ClusterConnection.connect(connectionOptions, {
        connectionsPerNode: Math.min(resolved.threads, connectionOptions.pool),
      });
      connections.push(connection);
      for (let i = 0; i < resolved.threads; i++) workers.push(connection);
    } else {
      const opened = await Promise.allSettled(
        Array.from({ length: resolved.threads }, () => connect(connectionOptions)),
      );
      for (const result of opened) {
        if (result.status === "fulfilled") {
          connections.push(result.value);
          workers.push(result.value);
        }
      }
      const failed = opened.find((result) => result.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
      // A cluster node without -c would take the keys of its own slots and answer MOVED to the rest.
      await assertStandalone(workers[0], "-c");
    }
    await Promise.all(
      workers.flatMap((connection) => Array.from({ length: resolved.inflight }, () => worker(connection))),
    );
  } finally {
    for (const connection of connections) connection.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    ...counters,
    firstErrors,
    seconds,
    keysPerSecond: seconds > 0 ? counters.keys / seconds : 0,
    seed: resolved.seed,
  };
}

function text(arg: Command[number]): string {
  return arg instanceof Uint8Array ? new TextDecoder().decode(arg) : String(arg);
}

/** On a cluster the keys of one MSET may live on several masters: each pair becomes its own SET. */
function splitMset(commands: Command[]): Command[] {
  if (!commands.some((command) => command[0] === MSET)) return commands;
  const out: Command[] = [];
  for (const command of commands) {
    if (command[0] !== MSET) {
      out.push(command);
      continue;
    }
    for (let i = 1; i + 1 < command.length; i += 2) out.push(["SET", command[i], command[i + 1]]);
  }
  return out;
}
