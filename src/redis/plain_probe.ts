/**
 * Does a port answer in plain RESP? Asked when a TLS handshake is slow or fails: a plain Redis reads the
 * TLS ClientHello as the start of an inline command and waits for its end, so `--tls` against a plain port
 * would otherwise wait for the whole timeout and then say nothing useful.
 */

/** Bytes a RESP2/RESP3 reply can start with. */
const RESP_TYPES = new Set([..."+-:$*_#,(!=%~|>"].map((c) => c.charCodeAt(0)));
const PING = new TextEncoder().encode("PING\r\n");

/**
 * Opens a second, plain TCP connection to host:port, sends PING and waits up to `waitMs` for a reply.
 * True when the reply looks like RESP (`+PONG`, `-NOAUTH ...`): the port is plain, not TLS. False on
 * anything else (no answer, a close, TLS alert bytes, an error). Never throws; closes what it opened.
 */
export async function answersPlainResp(host: string, port: number, waitMs: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), waitMs));
  try {
    conn = await Promise.race([Deno.connect({ hostname: host, port }), expired]) ?? undefined;
    if (!conn) return false;
    await conn.write(PING);
    const buffer = new Uint8Array(256);
    let filled = 0;
    while (filled < buffer.length) {
      const n = await Promise.race([conn.read(buffer.subarray(filled)), expired]);
      if (n === null) break;
      filled += n;
      const crlf = buffer.subarray(0, filled).findIndex((byte, i) => byte === 13 && buffer[i + 1] === 10);
      if (crlf !== -1 && crlf + 1 < filled) return RESP_TYPES.has(buffer[0]);
    }
    return false;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // already closed
    }
  }
}
