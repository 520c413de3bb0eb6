/**
 * Where an RDB file comes from: a path, `-` for stdin, or an `https://` (or `http://`) URL, as one byte
 * stream. Gzip is recognized by its magic bytes (`.rdb.gz` or a gzip response) and inflated on the way,
 * so memory stays one chunk whatever the file size. `size` is the byte count when known (a file, or a
 * response with Content-Length) of what arrives before inflating, for progress.
 */
import { OptionError } from "../redis/options.ts";

export interface RdbInput {
  stream: ReadableStream<Uint8Array>;
  /** Bytes the stream will carry when known (before inflating: progress counts those). */
  size?: number;
  /** Bytes read so far from the underlying file or connection (before inflating). */
  readonly consumed: () => number;
  name: string;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Opens `spec`; rejects with one line (OptionError) when the file cannot be opened or the URL fails. */
export async function openRdbInput(spec: string): Promise<RdbInput> {
  let raw: ReadableStream<Uint8Array>;
  let size: number | undefined;
  if (spec === "-") raw = Deno.stdin.readable;
  else if (/^https?:\/\//i.test(spec)) {
    const response = await fetch(spec).catch((error) => {
      throw new OptionError(`Cannot download ${redactUrl(spec)}: ${(error as Error).message}`);
    });
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new OptionError(
        `Cannot download ${redactUrl(spec)}: HTTP ${response.status} ${response.statusText}`,
      );
    }
    raw = response.body;
    const length = Number(response.headers.get("content-length"));
    if (Number.isFinite(length) && length > 0) size = length;
  } else {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(spec, { read: true });
      size = (await file.stat()).size;
    } catch (error) {
      throw new OptionError(`Cannot read the RDB file ${spec}: ${(error as Error).message}`);
    }
    raw = file.readable;
  }
  let consumed = 0;
  const counted = raw.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        consumed += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
  return { stream: await inflateIfGzip(counted), size, consumed: () => consumed, name: spec };
}

/** The same bytes, inflated when they start with the gzip magic (the first chunk is looked at, then given back). */
async function inflateIfGzip(stream: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const first = await reader.read();
  const gzip = !first.done && GZIP_MAGIC.every((byte, i) => first.value[i] === byte);
  let pending: Uint8Array | undefined = first.done ? undefined : first.value;
  const replayed = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending) {
        controller.enqueue(pending);
        pending = undefined;
        return;
      }
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  if (!gzip) return replayed;
  const inflate = new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
  return replayed.pipeThrough(inflate);
}

/** A URL for messages: its user and password (and query, which may carry a token) left out. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search ? "?***" : ""}`;
  } catch {
    return "the URL";
  }
}
