/**
 * `--metrics-port`: the live counters in Prometheus text format at http://127.0.0.1:PORT/metrics.
 * Serves only the loopback address; stopped with the job.
 */
export type MetricsSource = () => Record<string, { help: string; type: "counter" | "gauge"; value: number }>;

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export function renderMetrics(source: MetricsSource): string {
  let out = "";
  for (const [name, metric] of Object.entries(source())) {
    const base = name.replace(/\{.*$/, "");
    if (!out.includes(`# TYPE ${base} `)) {
      out += `# HELP ${base} ${metric.help}\n# TYPE ${base} ${metric.type}\n`;
    }
    out += `${name} ${Number.isFinite(metric.value) ? metric.value : 0}\n`;
  }
  return out;
}

/**
 * Serve the metrics on 127.0.0.1:`port` (0: any free port). A port that cannot be had (in use, not
 * allowed) fails at once with one line that names --metrics-port and the port.
 */
export function serveMetrics(port: number, source: MetricsSource): MetricsServer {
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (request) => {
      const path = new URL(request.url).pathname;
      if (path !== "/metrics" && path !== "/") return new Response("not found\n", { status: 404 });
      return new Response(renderMetrics(source), {
        headers: { "content-type": "text/plain; version=0.0.4" },
      });
    });
  } catch (error) {
    const why = error instanceof Deno.errors.AddrInUse
      ? "is already in use"
      : `cannot be opened (${(error as Error).message})`;
    throw new Error(
      `--metrics-port ${port}: 127.0.0.1:${port} ${why}: pick another port, or 0 for any free one`,
      { cause: error },
    );
  }
  return { port: server.addr.port, close: () => server.shutdown() };
}
