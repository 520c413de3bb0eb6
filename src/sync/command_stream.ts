/**
 * The replication stream after the snapshot: RESP arrays of bulk strings, one per write the source applied,
 * in order, with the source's own traffic among them (PING, `REPLCONF GETACK *`, SELECT). {@link
 * CommandStream.next} decodes them from the link's bytes and keeps the replication offset: the offset after
 * a command is the offset before it plus its encoded size (a master always sends the canonical
 * `*N\r\n$len\r\n...` form, so the size is known from the decoded command).
 */
import { RespDecoder, type RespValue } from "../../resp/mod.ts";
import type { ByteReader } from "./byte_reader.ts";

export interface StreamCommand {
  args: Uint8Array[];
  /** The replication offset after this command. */
  offset: number;
}

export class CommandStream {
  readonly #decoder = new RespDecoder();

  constructor(private readonly reader: ByteReader, public offset: number) {}

  /**
   * The next command, waiting for bytes when none is complete; `undefined` when the source closed the
   * connection. Rejects on a read failure or a frame that is not a command.
   */
  async next(): Promise<StreamCommand | undefined> {
    for (;;) {
      const command = this.buffered();
      if (command) return command;
      const chunk = await this.reader.chunk();
      if (!chunk) return undefined;
      this.#decoder.feed(chunk.slice());
    }
  }

  /** The next command if it has arrived whole already, else `undefined` (without waiting). */
  buffered(): StreamCommand | undefined {
    const value = this.#decoder.next();
    if (value === undefined) return undefined;
    const args = commandArgs(value);
    this.offset += encodedSize(args);
    return { args, offset: this.offset };
  }
}

function commandArgs(value: RespValue): Uint8Array[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((arg) => arg instanceof Uint8Array)) {
    throw new Error("The replication stream carried something other than a command");
  }
  return value as Uint8Array[];
}

/** Bytes of `*N\r\n` and `$len\r\n<bytes>\r\n` per argument. */
export function encodedSize(args: Uint8Array[]): number {
  let size = 3 + String(args.length).length;
  for (const arg of args) size += 5 + String(arg.length).length + arg.length;
  return size;
}
