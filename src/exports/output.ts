/**
 * Where an export writes: a file (gzip when its name ends in .gz) or stdout ("-"). Text is buffered and
 * written in chunks of about 256 KiB; `write` waits while the file takes the previous chunk, so memory
 * stays bounded by the buffer. `flush` writes what is buffered (a gzip file only shows it at close).
 * `close` flushes, ends the gzip stream and closes the file; a second close does nothing.
 */
const FLUSH_AT = 256 * 1024;

export interface TextOutput {
  write(text: string): Promise<void>;
  /** Writes what is buffered now (live exports: each batch is visible to a reader as it is written). */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Bytes written so far (before compression). */
  readonly bytes: number;
}

export async function openOutput(path: string): Promise<TextOutput> {
  if (path === "-") return bufferedOutput((chunk) => writeAll(Deno.stdout, chunk), async () => {});
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    throw new Error(`Cannot write ${path}: ${(error as Error).message}`);
  }
  if (!path.endsWith(".gz")) {
    // file.write, not file.writable: the stream kept every chunk until close, so a live export showed nothing.
    return bufferedOutput((chunk) => writeAll(file, chunk), () => Promise.resolve(file.close()));
  }
  const gzip = new CompressionStream("gzip");
  const piping = gzip.readable.pipeTo(file.writable);
  const writer = gzip.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>;
  return bufferedOutput((chunk) => writer.write(chunk), async () => {
    await writer.close();
    await piping;
  });
}

async function writeAll(
  target: { write(bytes: Uint8Array): Promise<number> },
  chunk: Uint8Array,
): Promise<void> {
  for (let at = 0; at < chunk.length;) at += await target.write(chunk.subarray(at));
}

function bufferedOutput(
  sink: (chunk: Uint8Array) => Promise<void>,
  end: () => Promise<void>,
): TextOutput {
  const encoder = new TextEncoder();
  let pending: string[] = [];
  let pendingLength = 0;
  let bytes = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const chunk = encoder.encode(pending.join(""));
    pending = [];
    pendingLength = 0;
    bytes += chunk.length;
    await sink(chunk);
  };
  let closed = false;
  return {
    async write(text: string) {
      pending.push(text);
      pendingLength += text.length;
      if (pendingLength >= FLUSH_AT) await flush();
    },
    flush,
    async close() {
      if (closed) return;
      closed = true;
      await flush();
      await end();
    },
    get bytes() {
      return bytes + pendingLength;
    },
  };
}
