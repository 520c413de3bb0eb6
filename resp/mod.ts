/** The RESP codec: pure (no I/O, no timers, no console). */
export * from "./types.ts";
export * from "./errors.ts";
export { BIG_BULK, parseInteger, RespDecoder } from "./decoder.ts";
export { type Command, type CommandArg, encodeCommand, encodeCommands, encodedLength } from "./encoder.ts";
