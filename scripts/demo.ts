/**
 * `deno task demo`: the first thing to run. Starts two local redis-server processes on free ports, fills
 * the source with a mixed data set, replicates it live while a writer keeps changing keys, verifies, and
 * stops both servers. Touches no server it did not start.
 */
import { runMain } from "../src/cli/main.ts";
import { generateCommand } from "../src/commands/generate.ts";
import { replicateCommand } from "../src/commands/replicate.ts";
import { connect } from "../src/redis/connect.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { RedisServer, redisServerMissing } from "../test/_server.ts";

/** The commands the demo runs. */
const DEMO_COMMANDS = [generateCommand, replicateCommand];
const encoder = new TextEncoder();
const say = (text: string) => console.error(`\n== ${text}`);
const io = {
  out: (text: string) => Deno.stdout.writeSync(encoder.encode(text)),
  err: (text: string) => Deno.stderr.writeSync(encoder.encode(text)),
  env: { get: (name: string) => Deno.env.get(name) },
};

if (redisServerMissing) {
  console.error(
    `riot demo: ${redisServerMissing}. Install Redis first (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis).`,
  );
  Deno.exit(1);
}

say("Starting two local redis-server processes (source and target) on free ports");
await using source = await RedisServer.start({ notifyKeyspaceEvents: "KA" });
await using target = await RedisServer.start();
console.error(`source 127.0.0.1:${source.port}, target 127.0.0.1:${target.port}`);

say("riot generate: 50,000 keys of every type into the source, 10% with a TTL");
let code = await runMain(
  [
    "-p",
    String(source.port),
    "generate",
    "--count",
    "50000",
    "--ttl-ratio",
    "0.1",
    "--seed",
    "7",
    "--progress",
    "log",
  ],
  io,
  DEMO_COMMANDS,
);
if (code !== 0) Deno.exit(code);

say("riot replicate --live: copy everything, follow changes until 2 s without events, then verify");
console.error(`riot -p ${source.port} replicate -p ${target.port} --live --idle-timeout 2000`);
const writer = await connect({ ...DEFAULT_CONNECTION, port: source.port });
const writing = (async () => {
  // Changes made during the copy and the live phase: new keys, updates, deletions, expirations.
  for (let round = 0; round < 20; round++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const commands = [];
    for (let i = 0; i < 100; i++) {
      commands.push(["SET", `demo:live:${round}:${i}`, `value ${i}`]);
      commands.push(["HSET", `demo:hash:${i}`, "round", String(round)]);
    }
    commands.push(["DEL", `demo:live:${round - 1}:0`]);
    commands.push(["SET", `demo:short:${round}`, "x", "PX", "300"]);
    await writer.pipeline(commands);
  }
})();
code = await runMain(
  [
    "-p",
    String(source.port),
    "replicate",
    "-p",
    String(target.port),
    "--live",
    "--idle-timeout",
    "2000",
    "--progress",
    "log",
  ],
  io,
  DEMO_COMMANDS,
);
await writing;
writer.close();

say(
  code === 0
    ? "Done: the target matches the source (OK:n V:0 >:0 <:0 T:0 above)."
    : `riot exited with ${code}`,
);
say("Stopping both servers");
Deno.exitCode = code;
