/**
 * A TCP proxy on 127.0.0.1 for fault injection: put it between a client and a real server, then cut, slow
 * or pause the traffic.
 *
 *     await using proxy = await TcpProxy.start(server.host, server.port);
 *     // connect the client to 127.0.0.1:proxy.port ...
 *     proxy.cutAll();
 *
 * Each accepted client gets its own upstream connection (a pair). When either side of a pair ends or
 * fails, both sides are closed: there is no half-close.
 */

/** One client connection and its upstream; `closed` aborts on the first close of either side. */
interface Pair {
  client: Deno.Conn;
  upstream: Deno.Conn;
  closed: AbortController;
}

export class TcpProxy implements AsyncDisposable {
  readonly #listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>;
  readonly #targetHost: string;
  readonly #targetPort: number;
  readonly #pairs = new Set<Pair>();
  /** Every pending task (accept loop, connects, pumps); `close()` waits for all of them. */
  readonly #tasks = new Set<Promise<void>>();
  #delayMs = 0;
  /** Resolves when forwarding resumes; undefined while not paused. */
  #paused: PromiseWithResolvers<void> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>, host: string, port: number) {
    this.#listener = listener;
    this.#targetHost = host;
    this.#targetPort = port;
    this.#track(this.#acceptLoop());
  }

  /** Listens on an ephemeral 127.0.0.1 port; upstream connections are made per client, on accept. */
  static start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return Promise.resolve(new TcpProxy(listener, targetHost, targetPort));
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  /** Currently open client+upstream pairs. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Closes every current pair, both sides, at once; new clients are still accepted. */
  cutAll(): void {
    for (const pair of [...this.#pairs]) this.#closePair(pair);
  }

  /** Each chunk, in both directions, waits `ms` before it is written on; 0 turns the delay off. */
  setDelay(ms: number): void {
    this.#delayMs = Math.max(0, ms);
  }

  /** Stops forwarding; bytes read meanwhile are held and written on `resume()`, not dropped. */
  pause(): void {
    this.#paused ??= Promise.withResolvers<void>();
  }

  resume(): void {
    this.#paused?.resolve();
    this.#paused = undefined;
  }

  /** Stops listening, cuts every pair and resolves once all of the proxy's I/O has settled. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
      this.cutAll();
      this.resume();
      while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  async #acceptLoop(): Promise<void> {
    while (true) {
      let client: Deno.Conn;
      try {
        client = await this.#listener.accept();
      } catch {
        return; // Listener closed.
      }
      this.#track(this.#connect(client));
    }
  }

  /** Opens the upstream for `client`; if that fails (or the proxy is closing), the client is closed. */
  async #connect(client: Deno.Conn): Promise<void> {
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({ hostname: this.#targetHost, port: this.#targetPort });
    } catch {
      closeQuietly(client);
      return;
    }
    if (this.#closing) {
      closeQuietly(client);
      closeQuietly(upstream);
      return;
    }
    const pair: Pair = { client, upstream, closed: new AbortController() };
    this.#pairs.add(pair);
    this.#track(this.#pump(pair, client, upstream));
    this.#track(this.#pump(pair, upstream, client));
  }

  /** Copies `from` to `to`, chunk by chunk, honouring delay and pause; ends by closing the pair. */
  async #pump(pair: Pair, from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    const signal = pair.closed.signal;
    try {
      while (!signal.aborted) {
        const n = await from.read(buf);
        if (n === null) break;
        const chunk = buf.slice(0, n);
        if (this.#delayMs > 0) await abortableSleep(this.#delayMs, signal);
        while (this.#paused && !signal.aborted) await abortable(this.#paused.promise, signal);
        if (signal.aborted) break;
        for (let off = 0; off < chunk.length;) off += await to.write(chunk.subarray(off));
      }
    } catch {
      // Either side failed or was closed under us: the pair ends below.
    } finally {
      this.#closePair(pair);
    }
  }

  #closePair(pair: Pair): void {
    if (pair.closed.signal.aborted) return;
    pair.closed.abort();
    this.#pairs.delete(pair);
    closeQuietly(pair.client);
    closeQuietly(pair.upstream);
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (the timer is then cleared). */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Resolves when `promise` does or when `signal` aborts, whichever is first. */
function abortable(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    promise.then(done);
  });
}
