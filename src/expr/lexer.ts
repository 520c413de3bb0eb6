/**
 * Tokens of the expression language (see parser.ts for the grammar). `tokenize` reads the whole text at
 * once (expressions come from the command line) and throws ExprSyntaxError with the 1-based column of the
 * first character it cannot read. Input longer than MAX_EXPRESSION_LENGTH is refused before any work.
 */
import { ExprSyntaxError } from "./errors.ts";

export const MAX_EXPRESSION_LENGTH = 4096;

export type TokenKind = "number" | "string" | "name" | "variable" | "op" | "end";

export interface Token {
  kind: TokenKind;
  /** The number's or string's value, the name, `#name` without '#', or the operator's text. */
  text: string;
  /** 1-based column of the token's first character. */
  column: number;
}

/** Longest first, so `==` is not read as `=`. */
const OPERATORS = [
  "?:",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "(",
  ")",
  "[",
  "]",
  ",",
  ".",
  "!",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
  "?",
  ":",
];

export function tokenize(source: string): Token[] {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExprSyntaxError(`the expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, 1, "");
  }
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const char = source[at];
    if (/\s/.test(char)) {
      at++;
      continue;
    }
    const column = at + 1;
    if (/[0-9]/.test(char)) {
      const match = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?[LlDdFf]?/.exec(source.slice(at))!;
      tokens.push({ kind: "number", text: match[0].replace(/[LlDdFf]$/, ""), column });
      at += match[0].length;
    } else if (char === "'" || char === '"') {
      const [text, end] = readString(source, at);
      tokens.push({ kind: "string", text, column });
      at = end;
    } else if (char === "`") {
      const end = source.indexOf("`", at + 1);
      if (end === -1) throw new ExprSyntaxError("unterminated `quoted field name`", column, source);
      tokens.push({ kind: "name", text: source.slice(at + 1, end), column });
      at = end + 1;
    } else if (/[A-Za-z_$]/.test(char) || (char === "#" && /[A-Za-z_]/.test(source[at + 1] ?? ""))) {
      const match = /^#?[A-Za-z_$][A-Za-z0-9_$]*/.exec(source.slice(at))!;
      const variable = match[0].startsWith("#");
      tokens.push({
        kind: variable ? "variable" : "name",
        text: variable ? match[0].slice(1) : match[0],
        column,
      });
      at += match[0].length;
    } else {
      const op = OPERATORS.find((candidate) => source.startsWith(candidate, at));
      if (op === undefined) throw new ExprSyntaxError(`unexpected character '${char}'`, column, source);
      tokens.push({ kind: "op", text: op, column });
      at += op.length;
    }
  }
  tokens.push({ kind: "end", text: "", column: source.length + 1 });
  return tokens;
}

/**
 * A string in single or double quotes; the quote doubled ('it''s') stands for itself. Backslashes are kept
 * as they are, so `matches '\\d+'` is the regex \\d+.
 */
function readString(source: string, start: number): [string, number] {
  const quote = source[start];
  let text = "";
  for (let at = start + 1; at < source.length; at++) {
    const char = source[at];
    if (char === quote) {
      if (source[at + 1] === quote) {
        text += quote;
        at++;
      } else return [text, at + 1];
    } else text += char;
  }
  throw new ExprSyntaxError("unterminated string", start + 1, source);
}
