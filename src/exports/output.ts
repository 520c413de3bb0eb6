/**
 * Where an export writes: a file (gzip when its name ends in .gz) or stdout ("-"). Text is buffered and
 * written in chunks of about 256 KiB; `write` waits while the file takes the previous chunk, so memory
 * stays bounded by the buffer. `close` flushes, ends the gzip stream and closes the file.
 */
const FLUSH_AT = 256 * 1024;

export interface TextOutput {
  write(text: string): Promise<void>;
  close(): Promise<void>;
  /** Bytes written so far (before compression). */
  readonly bytes: number;
}

export async function openOutput(path: string): Promise<TextOutput> {
  if (path === "-") return bufferedOutput(Deno.stdout.writable.getWriter(), async () => {}, true);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    throw new Error(`Cannot write ${path}: ${(error as Error).message}`);
  }
  if (!path.endsWith(".gz")) return bufferedOutput(file.writable.getWriter(), async () => {});
  const gzip = new CompressionStream("gzip");
  const piping = gzip.readable.pipeTo(file.writable);
  return bufferedOutput(gzip.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>, () => piping);
}

function bufferedOutput(
  writer: WritableStreamDefaultWriter<Uint8Array>,
  afterClose: () => Promise<void>,
  keepOpen = false,
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
    await writer.write(chunk);
  };
  return {
    async write(text: string) {
      pending.push(text);
      pendingLength += text.length;
      if (pendingLength >= FLUSH_AT) await flush();
    },
    async close() {
      await flush();
      if (keepOpen) writer.releaseLock();
      else await writer.close();
      await afterClose();
    },
    get bytes() {
      return bytes + pendingLength;
    },
  };
}
