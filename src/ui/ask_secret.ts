/**
 * Ask for a password on the terminal without echoing it (`riot ping -a`, RIOT's interactive --pass).
 * The prompt goes to stderr; the answer is read from stdin in raw mode, so nothing typed is shown.
 */
import { writeStderr } from "./progress.ts";

const ENTER = new Set([10, 13]);
const BACKSPACE = new Set([8, 127]);
const CTRL_C = 3;
const CTRL_D = 4;
const CTRL_U = 21;

/**
 * The line typed after `prompt`, or undefined when stdin is not a terminal (scripts, pipes: the caller
 * then says how else to give the password). Ctrl-C, or Ctrl-D on an empty line, cancels: an Error.
 */
export function askSecretOnTerminal(prompt: string): string | undefined {
  if (!Deno.stdin.isTerminal()) return undefined;
  Deno.stdin.setRaw(true); // before the prompt: nothing typed after it may be echoed
  writeStderr(prompt);
  const typed: number[] = [];
  let cancelled = false;
  try {
    const buffer = new Uint8Array(256);
    reading: for (;;) {
      const n = Deno.stdin.readSync(buffer);
      if (n === null || n === 0) break;
      for (const byte of buffer.subarray(0, n)) {
        if (ENTER.has(byte)) break reading;
        if (byte === CTRL_C || (byte === CTRL_D && typed.length === 0)) {
          cancelled = true;
          break reading;
        }
        if (BACKSPACE.has(byte)) dropLastCharacter(typed);
        else if (byte === CTRL_U) typed.length = 0;
        else typed.push(byte);
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
    writeStderr("\n");
  }
  if (cancelled) throw new Error("No password given: the prompt was cancelled");
  return new TextDecoder().decode(Uint8Array.from(typed));
}

/** Remove the last UTF-8 character (its continuation bytes 10xxxxxx and its lead byte). */
function dropLastCharacter(bytes: number[]): void {
  while (bytes.length > 0 && (bytes[bytes.length - 1] & 0xc0) === 0x80) bytes.pop();
  bytes.pop();
}
