/**
 * Buffered reads from a socket for the replication link: lines (the handshake replies, the RDB header),
 * and chunks (the RDB bytes, then the command stream). Bytes read past what a call needs stay in the
 * buffer for the next call, so nothing is lost between the RDB and the command stream.
 *
 * - `line()` resolves with a line without its CRLF (or LF); a line longer than `maxLine` is an error.
 * - `chunk(max)` resolves with up to `max` buffered or newly read bytes; `undefined` at end of stream.
 * - A read that fails, or the end of the stream inside `line()`, rejects.
 */
const MAX_LINE = 64 * 1024;
const READ_SIZE = 256 * 1024;

export class ByteReader {
  #buffer = new Uint8Array(0);
  #start = 0;

  constructor(private readonly conn: { read(p: Uint8Array): Promise<number | null> }) {}

  /** Bytes read and not yet consumed. */
  get buffered(): number {
    return this.#buffer.length - this.#start;
  }

  async line(maxLine = MAX_LINE): Promise<string> {
    for (;;) {
      const newline = this.#buffer.indexOf(0x0a, this.#start);
      if (newline >= 0) {
        const end = newline > this.#start && this.#buffer[newline - 1] === 0x0d ? newline - 1 : newline;
        const text = new TextDecoder("latin1").decode(this.#buffer.subarray(this.#start, end));
        this.#start = newline + 1;
        return text;
      }
      if (this.buffered > maxLine) throw new Error(`The server sent a line longer than ${maxLine} bytes`);
      if (!(await this.#fill())) throw new Error("The server closed the replication connection");
    }
  }

  async chunk(max = READ_SIZE): Promise<Uint8Array | undefined> {
    if (this.buffered === 0 && !(await this.#fill())) return undefined;
    const size = Math.min(max, this.buffered);
    const out = this.#buffer.subarray(this.#start, this.#start + size);
    this.#start += size;
    return out;
  }

  /** Puts `bytes` back in front of the buffer (read too far by a caller that knows where its part ends). */
  unread(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const rest = this.#buffer.subarray(this.#start);
    const joined = new Uint8Array(bytes.length + rest.length);
    joined.set(bytes);
    joined.set(rest, bytes.length);
    this.#buffer = joined;
    this.#start = 0;
  }

  /** Reads once more from the socket into the buffer; false at end of stream. */
  async #fill(): Promise<boolean> {
    const space = new Uint8Array(READ_SIZE);
    const read = await this.conn.read(space);
    if (read === null) return false;
    if (this.buffered === 0) {
      // The usual case while a snapshot streams: the new bytes as they are, no copy.
      this.#buffer = space.subarray(0, read);
    } else {
      const rest = this.#buffer.subarray(this.#start);
      const joined = new Uint8Array(rest.length + read);
      joined.set(rest);
      joined.set(space.subarray(0, read), rest.length);
      this.#buffer = joined;
    }
    this.#start = 0;
    return true;
  }
}
