/** Helpers shared by the end-to-end benchmarks: timing subprocesses, peak RSS, waiting, machine facts. */

export interface RunResult {
  seconds: number;
  stdout: string;
  stderr: string;
  code: number;
  /** Peak resident set size in MiB, when measured with /usr/bin/time. */
  peakRssMiB?: number;
  /** User + system CPU seconds of the child, when measured with /usr/bin/time. */
  cpuSeconds?: number;
}

const decoder = new TextDecoder();

/** Run a command; with `measureRss`, through /usr/bin/time to read the child's peak RSS and CPU time. */
export async function run(
  cmd: string[],
  options: { stdin?: string; measureRss?: boolean } = {},
): Promise<RunResult> {
  const useTime = options.measureRss === true && exists("/usr/bin/time");
  const argv = useTime ? ["/usr/bin/time", "-f", "RIOT_MAXRSS_KB=%M RIOT_CPU_S=%U+%S", ...cmd] : cmd;
  const started = performance.now();
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin) {
    const file = await Deno.open(options.stdin);
    await file.readable.pipeTo(child.stdin);
  }
  const output = await child.output();
  const seconds = (performance.now() - started) / 1000;
  const stderr = decoder.decode(output.stderr);
  const rss = /RIOT_MAXRSS_KB=(\d+)/.exec(stderr);
  const cpu = /RIOT_CPU_S=([\d.]+)\+([\d.]+)/.exec(stderr);
  return {
    seconds,
    stdout: decoder.decode(output.stdout),
    stderr,
    code: output.code,
    peakRssMiB: rss ? Number(rss[1]) / 1024 : undefined,
    cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined,
  };
}

export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function machine(): string {
  const cpu = /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "unknown CPU";
  return `${navigator.hardwareConcurrency} cores (${cpu}), ${
    Math.round(Deno.systemMemoryInfo().total / 2 ** 30)
  } GiB, Deno ${Deno.version.deno}`;
}

export function rate(keys: number, seconds: number): string {
  return `${Math.round(keys / seconds / 1000)}k/s`;
}
