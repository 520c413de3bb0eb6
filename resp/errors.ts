/**
 * The two kinds of failure the codec knows.
 *
 * - {@link ProtocolError}: the bytes are not valid RESP, or break a configured limit. It is thrown by the
 *   decoder and is fatal for the connection: the stream cannot be resynchronised, so every later call to the
 *   same decoder throws it again.
 * - {@link ErrorReply}: the server answered one command with an error (`-ERR ...` or `!len`). It is a value
 *   that belongs to that command only; the connection stays usable.
 */

/** The bytes on the wire are not RESP (or exceed a limit). Sticky: the decoder is unusable afterwards. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/**
 * An error reply from the server. `code` is the first word (`ERR`, `WRONGTYPE`, `MOVED`, `NOAUTH` ...),
 * `message` the whole text as the server sent it.
 */
export class ErrorReply extends Error {
  override name = "ErrorReply";
  readonly code: string;
  constructor(text: string) {
    super(text);
    const space = text.indexOf(" ");
    this.code = space === -1 ? text : text.slice(0, space);
  }
}
