/** The RESP codec: pure (no I/O, no timers, no console). */
export * from "./types.ts";
export * from "./errors.ts";
export { RespDecoder } from "./decoder.ts";
export { BIG_BULK } from "./bridge.ts";
export { parseInteger } from "./scalars.ts";
export {
  type Command,
  type CommandArg,
  encodeCommand,
  encodeCommands,
  encodeCommandsShared,
  encodedLength,
  encodeKeyCommands,
  splitEncodedCommands,
} from "./encoder.ts";
