/**
 * Server builds other than the `redis-server` on PATH, for tests that must run against several versions
 * and engines. They are found through the environment variable RIOT_TEST_REDIS_SERVERS, a directory whose
 * subdirectories are source builds named `<engine>-<major.minor>`:
 *
 *     $RIOT_TEST_REDIS_SERVERS/redis-7.4/src/redis-server
 *     $RIOT_TEST_REDIS_SERVERS/redis-8.0/src/redis-server
 *     $RIOT_TEST_REDIS_SERVERS/valkey-8.0/src/valkey-server
 *
 * Nothing here builds or downloads a server. A test asks for a build by name with {@link serverBuild}; when
 * it is absent the test is ignored and its name says why, so a skipped version is visible in the output.
 */

export interface ServerBuild {
  /** The directory name, e.g. "redis-7.4". */
  name: string;
  /** Absolute path of the server binary; pass it as `RedisServer.start({ binary })`. */
  binary: string;
  /** What `--version` says, e.g. "7.4.1". */
  version: string;
}

export const SERVERS_ENV = "RIOT_TEST_REDIS_SERVERS";

/** Every build found under $RIOT_TEST_REDIS_SERVERS (none when unset or unreadable), sorted by name. */
async function listServerBuilds(): Promise<ServerBuild[]> {
  const root = Deno.env.get(SERVERS_ENV);
  if (!root) return [];
  const builds: ServerBuild[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      if (!entry.isDirectory) continue;
      const build = await probe(`${root}/${entry.name}`, entry.name);
      if (build) builds.push(build);
    }
  } catch {
    return [];
  }
  return builds.sort((a, b) => a.name.localeCompare(b.name));
}

/** The build in `dir` if it has a server binary that answers `--version`. */
async function probe(dir: string, name: string): Promise<ServerBuild | undefined> {
  for (const binary of [`${dir}/src/redis-server`, `${dir}/src/valkey-server`]) {
    try {
      const out = await new Deno.Command(binary, { args: ["--version"], stdout: "piped", stderr: "null" })
        .output();
      const match = /v=(\S+)/.exec(new TextDecoder().decode(out.stdout));
      if (out.success && match) return { name, binary, version: match[1] };
    } catch {
      // Not this binary; try the next one.
    }
  }
  return undefined;
}

export const serverBuilds: readonly ServerBuild[] = await listServerBuilds();

/**
 * The build called `name`, or why it is missing (a phrase to append to a test name), e.g.
 * `const { build, missing } = serverBuild("redis-7.4")` then `Deno.test({ name: "x" + missing, ignore: !build })`.
 */
export function serverBuild(name: string): { build?: ServerBuild; missing: string } {
  const build = serverBuilds.find((b) => b.name === name);
  if (build) return { build, missing: "" };
  const root = Deno.env.get(SERVERS_ENV);
  const why = root ? `no ${name} build under ${root}` : `${SERVERS_ENV} is not set`;
  return { missing: ` (skipped: ${why})` };
}
