/**
 * `--key-proc TEMPLATE`: the target's name for a source key. A template is literal text with placeholders:
 *
 * - `#{key}`: the source key's bytes, unchanged (any number of times; at least once, see below);
 * - `#{type}`: the key's type as TYPE names it (`string`, `hash`, ..., or a module's name such as `ReJSON-RL`);
 * - `#{db}`: the source database number (`0` ... `15`).
 *
 * Every other byte of the template is kept as it is; `imported:#{key}` adds a prefix, `#{type}:#{key}`
 * prefixes the type. There is no evaluator: any other `#{...}` is an OptionError (exit 2) naming its column.
 * A template without `#{key}` is refused too: it would give every key of one type the same name, each
 * overwriting the one before, and no verification could tell which one the target should hold.
 *
 * `preimages(name)` runs a template backwards: the source keys (with the type and database they must have)
 * whose image `name` could be, so that a verification can tell a target key that some source key maps to
 * from one that no source key maps to ("only in target"). The caller checks each candidate on the source.
 */
import { OptionError } from "../redis/options.ts";

export type Placeholder = "key" | "type" | "db";
type Part = Uint8Array | Placeholder;

const PLACEHOLDERS: readonly Placeholder[] = ["key", "type", "db"];
/** The types a key can have without a module (a deleted key's image is looked for under each). */
export const CORE_TYPES = ["string", "list", "set", "zset", "hash", "stream"] as const;
/** Candidates `preimages` returns at most (a template with several free placeholders can match many ways). */
const MAX_PREIMAGES = 64;

export interface Preimage {
  key: Uint8Array;
  /** The type the source key must have (when the template has #{type}). */
  type?: string;
  /** The database it must be in (when the template has #{db}). */
  db?: number;
}

export class KeyTemplate {
  readonly usesType: boolean;
  readonly usesDb: boolean;

  private constructor(readonly text: string, private readonly parts: readonly Part[]) {
    this.usesType = parts.includes("type");
    this.usesDb = parts.includes("db");
  }

  /** Parses `text`; OptionError for an unknown or unclosed placeholder (with its column) or no `#{key}`. */
  static parse(text: string): KeyTemplate {
    const encoder = new TextEncoder();
    const parts: Part[] = [];
    let at = 0;
    while (at < text.length) {
      const open = text.indexOf("#{", at);
      if (open === -1) {
        parts.push(encoder.encode(text.slice(at)));
        break;
      }
      if (open > at) parts.push(encoder.encode(text.slice(at, open)));
      const close = text.indexOf("}", open + 2);
      if (close === -1) {
        throw new OptionError(`--key-proc '${text}': '#{' at column ${open + 1} has no closing '}'`);
      }
      const name = text.slice(open + 2, close);
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        throw new OptionError(
          `--key-proc '${text}': unknown placeholder #{${name}} at column ${open + 1}; ` +
            `the template knows #{key}, #{type} and #{db} only (no expressions)`,
        );
      }
      parts.push(name as Placeholder);
      at = close + 1;
    }
    if (!parts.includes("key")) {
      throw new OptionError(
        `--key-proc '${text}' has no #{key}: many keys would get the same name and overwrite each other. ` +
          `Write for example 'copy:#{key}' or '#{type}:#{key}'`,
      );
    }
    return new KeyTemplate(text, parts);
  }

  /** The target name of `key`, of type `type`, in source database `db`. */
  apply(key: Uint8Array, type: string, db: number): Uint8Array {
    const encoder = new TextEncoder();
    const pieces = this.parts.map((part) =>
      part instanceof Uint8Array
        ? part
        : part === "key"
        ? key
        : encoder.encode(part === "type" ? type : `${db}`)
    );
    const out = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
    let at = 0;
    for (const piece of pieces) {
      out.set(piece, at);
      at += piece.length;
    }
    return out;
  }

  /** Every way `name` splits into the template's parts (at most MAX_PREIMAGES), as source key candidates. */
  preimages(name: Uint8Array): Preimage[] {
    const found: Preimage[] = [];
    const match = (index: number, at: number, bound: Partial<Record<Placeholder, Uint8Array>>): void => {
      if (found.length >= MAX_PREIMAGES) return;
      if (index === this.parts.length) {
        if (at === name.length) found.push(preimageOf(bound));
        return;
      }
      const part = this.parts[index];
      if (part instanceof Uint8Array) {
        if (startsWith(name, part, at)) match(index + 1, at + part.length, bound);
        return;
      }
      const known = bound[part];
      if (known !== undefined) {
        if (startsWith(name, known, at)) match(index + 1, at + known.length, bound);
        return;
      }
      for (let end = at; end <= name.length; end++) {
        const piece = name.subarray(at, end);
        if (part !== "key" && !validPiece(part, piece)) continue;
        match(index + 1, end, { ...bound, [part]: piece });
      }
    };
    match(0, 0, {});
    return found;
  }
}

function preimageOf(bound: Partial<Record<Placeholder, Uint8Array>>): Preimage {
  const decoder = new TextDecoder();
  const preimage: Preimage = { key: bound.key!.slice() };
  if (bound.type !== undefined) preimage.type = decoder.decode(bound.type);
  if (bound.db !== undefined) preimage.db = Number(decoder.decode(bound.db));
  return preimage;
}

/**
 * A type name is what TYPE can answer: 1 to 64 of `A-Z a-z 0-9 - _` (the core types, and module type names,
 * nine characters of that set); a database number is decimal digits without a leading zero.
 */
function validPiece(part: "type" | "db", piece: Uint8Array): boolean {
  if (piece.length === 0) return false;
  if (part === "type") return piece.length <= 64 && piece.every(isTypeNameByte);
  if (piece.length > 1 && piece[0] === 0x30) return false;
  return piece.length <= 5 && piece.every((byte) => byte >= 0x30 && byte <= 0x39);
}

function isTypeNameByte(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2d || byte === 0x5f;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array, at: number): boolean {
  if (at + prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * The renaming function of rdb-import (keys and their type byte come from a file): `#{type}` is the type,
 * `#{db}` the database the key was in.
 */
export function keyTemplate(text: string): (key: Uint8Array, type: string, db: number) => Uint8Array {
  const template = KeyTemplate.parse(text);
  return (key, type, db) => template.apply(key, type, db);
}
