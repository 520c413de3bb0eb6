/**
 * The single executable: `deno task compile` builds dist/riot, which must run with no Deno around it.
 * `deno compile` needs Deno's `denort` runtime: from DENORT_BIN, or downloaded earlier into DENO_DIR. Where
 * neither is here (an offline machine), the test is skipped and says why.
 */
import assert from "node:assert/strict";
import { RedisServer, redisServerMissing } from "./_server.ts";

const REPO = new URL("..", import.meta.url).pathname;

function runtimeMissing(): string | undefined {
  const fromEnv = Deno.env.get("DENORT_BIN");
  if (fromEnv) {
    try {
      Deno.statSync(fromEnv);
      return undefined;
    } catch {
      return `DENORT_BIN=${fromEnv} does not exist`;
    }
  }
  const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
  const cached = `${denoDir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  try {
    Deno.statSync(cached);
    return undefined;
  } catch {
    return `no denort runtime: set DENORT_BIN, or run 'deno task compile' once on a connected machine`;
  }
}

const missing = runtimeMissing() ?? redisServerMissing;
if (missing) console.warn(`compile_test: skipped: ${missing}`);

Deno.test({
  name: `deno task compile builds dist/riot, which runs on its own${missing ? ` (skipped: ${missing})` : ""}`,
  ignore: missing !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const output = `${dir}/riot`;
      const build = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${REPO}scripts/compile.ts`, "--output", output],
        cwd: REPO,
      }).output();
      assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
      const version = await new Deno.Command(output, { args: ["-V"], env: { PATH: "/usr/bin:/bin" } })
        .output();
      assert.match(new TextDecoder().decode(version.stdout), /^riot \d+\.\d+\.\d+/);
      await using server = await RedisServer.start();
      const ping = await new Deno.Command(output, {
        args: ["-p", String(server.port), "ping", "--count", "2", "--json"],
      }).output();
      assert.equal(ping.code, 0, new TextDecoder().decode(ping.stderr));
      assert.equal(JSON.parse(new TextDecoder().decode(ping.stdout)).samples, 2);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
