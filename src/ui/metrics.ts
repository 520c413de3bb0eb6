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

export function serveMetrics(port: number, source: MetricsSource): MetricsServer {
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (path !== "/metrics" && path !== "/") return new Response("not found\n", { status: 404 });
    return new Response(renderMetrics(source), { headers: { "content-type": "text/plain; version=0.0.4" } });
  });
  return { port: server.addr.port, close: () => server.shutdown() };
}
