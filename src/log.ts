/**
 * What the engine says while it works. The engine reports through this interface only (and through its
 * counters); the terminal, colours and redaction belong to the UI's Logger, which implements it.
 */
export interface Log {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** A Log that says nothing (tests, library use). */
export const SILENT_LOG: Log = { error() {}, warn() {}, info() {}, debug() {} };
