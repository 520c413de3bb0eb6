/**
 * Templates: text with `#{expression}` parts (`order:#{id}`, `#{first} #{last}`), as RIOT's --key-proc and
 * RIOT-X's `hset beer:#{id}`. `parseTemplate(text)` parses every part once (ExprSyntaxError with the column
 * in the whole template); `renderTemplate` evaluates the parts against a record and joins the text.
 * `#{` inside an expression's quotes does not end it; a `}` inside quotes does not close it.
 */
import type { Expr } from "./ast.ts";
import { ExprSyntaxError } from "./errors.ts";
import { type EvalContext, evaluate } from "./evaluate.ts";
import { parseExpression } from "./parser.ts";
import { type Fields, toText } from "./value.ts";

export type TemplatePart = string | Expr;

export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

/** True when the text has at least one `#{...}` part. */
export function isTemplate(text: string): boolean {
  return text.includes("#{");
}

export function parseTemplate(source: string): Template {
  const parts: TemplatePart[] = [];
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf("#{", at);
    if (open === -1) {
      parts.push(source.slice(at));
      break;
    }
    if (open > at) parts.push(source.slice(at, open));
    const close = closingBrace(source, open + 2);
    if (close === -1) throw new ExprSyntaxError("'#{' without a closing '}'", open + 1, source);
    try {
      parts.push(parseExpression(source.slice(open + 2, close)));
    } catch (error) {
      if (!(error instanceof ExprSyntaxError)) throw error;
      throw new ExprSyntaxError(error.detail, open + 2 + error.column, source);
    }
    at = close + 1;
  }
  return { source, parts };
}

export function renderTemplate(template: Template, fields: Fields, context?: EvalContext): string {
  let text = "";
  for (const part of template.parts) {
    text += typeof part === "string" ? part : toText(evaluate(part, fields, context));
  }
  return text;
}

function closingBrace(source: string, from: number): number {
  let quote = "";
  for (let at = from; at < source.length; at++) {
    const char = source[at];
    if (quote) {
      if (char === quote) quote = "";
    } else if (char === "'" || char === '"') quote = char;
    else if (char === "}") return at;
  }
  return -1;
}
