/**
 * The expression language of imports (`--filter`, `--proc`, `#{...}` templates): a small recursive-descent
 * parser, no general evaluator, nothing that runs code. `parseExpression(text)` returns the tree or throws
 * ExprSyntaxError naming the 1-based column. Grammar, loosest first:
 *
 *   expr       := or ('?:' expr | '?' expr ':' expr)?         elvis: the left unless null or ""
 *   or         := and (('||' | 'or') and)*
 *   and        := compare (('&&' | 'and') compare)*
 *   compare    := sum (('==' | '!=' | '<' | '>' | '<=' | '>=' | 'eq' | 'ne' | 'lt' | 'gt' | 'le' | 'ge') sum
 *                      | 'matches' STRING)?
 *   sum        := product (('+' | '-') product)*
 *   product    := unary (('*' | '/' | '%') unary)*
 *   unary      := ('!' | 'not' | '-') unary | postfix
 *   postfix    := primary ('.' METHOD '(' ')')*                 getTime, toString, toUpperCase, toLowerCase,
 *                                                                trim, length
 *   primary    := NUMBER | STRING | true | false | null | '(' expr ')'
 *               | FIELD ('.' NAME | '[' NUMBER ']')*            field names: a, a.b, a[0] (flattened JSON)
 *               | `any name` | '[' STRING ']'                   quoted field names (spaces, dots)
 *               | remove '(' STRING ')' | #date.parse '(' expr (',' STRING)? ')'
 *               | #number.parse '(' expr ')' | #geo '(' expr ',' expr ')'
 *
 * Bounds: at most MAX_EXPRESSION_LENGTH characters and MAX_DEPTH nested sub-expressions, so no input can
 * recurse or allocate without limit.
 */
import type { BinaryOp, Expr, MethodName } from "./ast.ts";
import { ExprSyntaxError } from "./errors.ts";
import { type Token, tokenize } from "./lexer.ts";

export const MAX_DEPTH = 64;

const COMPARISONS: Record<string, BinaryOp> = {
  "==": "==",
  "!=": "!=",
  "<": "<",
  ">": ">",
  "<=": "<=",
  ">=": ">=",
  eq: "==",
  ne: "!=",
  lt: "<",
  gt: ">",
  le: "<=",
  ge: ">=",
};

const METHODS: readonly MethodName[] = [
  "getTime",
  "toString",
  "toUpperCase",
  "toLowerCase",
  "trim",
  "length",
];

export function parseExpression(source: string): Expr {
  const parser = new Parser(source, tokenize(source));
  const expr = parser.expression();
  parser.expectEnd();
  return expr;
}

class Parser {
  private at = 0;
  private depth = 0;

  constructor(private readonly source: string, private readonly tokens: Token[]) {}

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== "end") this.fail(`unexpected ${describe(token)}`, token);
  }

  expression(): Expr {
    if (++this.depth > MAX_DEPTH) this.fail(`the expression nests deeper than ${MAX_DEPTH} levels`);
    const left = this.or();
    let result = left;
    if (this.takeOp("?:")) result = { type: "elvis", left, right: this.expression() };
    else if (this.takeOp("?")) {
      const then = this.expression();
      this.expectOp(":");
      result = { type: "conditional", test: left, then, otherwise: this.expression() };
    }
    this.depth--;
    return result;
  }

  private or(): Expr {
    let left = this.and();
    while (this.takeOp("||") || this.takeWord("or")) left = { type: "or", left, right: this.and() };
    return left;
  }

  private and(): Expr {
    let left = this.compare();
    while (this.takeOp("&&") || this.takeWord("and")) left = { type: "and", left, right: this.compare() };
    return left;
  }

  private compare(): Expr {
    const left = this.sum();
    const token = this.peek();
    if (token.kind === "name" && token.text === "matches") {
      this.at++;
      const pattern = this.next();
      if (pattern.kind !== "string") this.fail("matches needs a quoted regular expression", pattern);
      try {
        return { type: "matches", operand: left, regex: new RegExp(`^(?:${pattern.text})$`, "s") };
      } catch (error) {
        this.fail(`invalid regular expression: ${(error as Error).message}`, pattern);
      }
    }
    const op = (token.kind === "op" || token.kind === "name") ? COMPARISONS[token.text] : undefined;
    if (op === undefined) return left;
    this.at++;
    return { type: "binary", op, left, right: this.sum() };
  }

  private sum(): Expr {
    let left = this.product();
    for (let op = this.peekOp("+", "-"); op; op = this.peekOp("+", "-")) {
      this.at++;
      left = { type: "binary", op: op as BinaryOp, left, right: this.product() };
    }
    return left;
  }

  private product(): Expr {
    let left = this.unary();
    for (let op = this.peekOp("*", "/", "%"); op; op = this.peekOp("*", "/", "%")) {
      this.at++;
      left = { type: "binary", op: op as BinaryOp, left, right: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    const negate = this.takeOp("-");
    if (!negate && !this.takeOp("!") && !this.takeWord("not")) return this.postfix();
    if (++this.depth > MAX_DEPTH) this.fail(`the expression nests deeper than ${MAX_DEPTH} levels`);
    const operand = this.unary();
    this.depth--;
    return negate ? { type: "negate", operand } : { type: "not", operand };
  }

  private postfix(): Expr {
    let target = this.primary();
    while (this.peekOp(".")) {
      this.at++;
      const name = this.next();
      if (name.kind !== "name" || !METHODS.includes(name.text as MethodName)) {
        this.fail(`unknown method: use one of ${METHODS.map((m) => `.${m}()`).join(", ")}`, name);
      }
      this.expectOp("(");
      this.expectOp(")");
      target = { type: "method", target, name: name.text as MethodName };
    }
    return target;
  }

  private primary(): Expr {
    const token = this.next();
    switch (token.kind) {
      case "number":
        return { type: "literal", value: Number(token.text) };
      case "string":
        return { type: "literal", value: token.text };
      case "variable":
        return this.variable(token);
      case "name":
        return this.name(token);
      case "op":
        if (token.text === "(") {
          const inner = this.expression();
          this.expectOp(")");
          return inner;
        }
        if (token.text === "[") {
          const name = this.next();
          if (name.kind !== "string") this.fail("expected a quoted field name after '['", name);
          this.expectOp("]");
          return { type: "field", name: name.text };
        }
    }
    return this.fail(`expected a value, found ${describe(token)}`, token);
  }

  /** true, false, null, remove('f'), or a field name with its `.b` and `[0]` parts. */
  private name(token: Token): Expr {
    if (token.text === "true" || token.text === "false") {
      return { type: "literal", value: token.text === "true" };
    }
    if (token.text === "null") return { type: "literal", value: null };
    if (token.text === "remove" && this.peekOp("(")) {
      this.at++;
      const field = this.next();
      if (field.kind !== "string") this.fail("remove() needs a quoted field name", field);
      this.expectOp(")");
      return { type: "call", name: "remove", args: [{ type: "literal", value: field.text }] };
    }
    let name = token.text;
    for (;;) {
      const after = this.tokens[this.at + 1];
      if (this.peekOp(".") && after.kind === "name" && !this.isOp(this.tokens[this.at + 2], "(")) {
        name += `.${after.text}`;
        this.at += 2;
      } else if (this.peekOp("[") && after.kind === "number" && this.isOp(this.tokens[this.at + 2], "]")) {
        name += `[${after.text}]`;
        this.at += 3;
      } else return { type: "field", name };
    }
  }

  /** #date.parse(x[, 'format']), #number.parse(x), #geo(lon, lat). */
  private variable(token: Token): Expr {
    if (token.text === "geo") return { type: "call", name: "geo", args: this.args(2, 2) };
    if ((token.text === "date" || token.text === "number") && this.peekOp(".")) {
      this.at++;
      const method = this.next();
      if (method.kind !== "name" || method.text !== "parse") {
        this.fail(`expected #${token.text}.parse(...)`, method);
      }
      const args = token.text === "date" ? this.args(1, 2) : this.args(1, 1);
      return { type: "call", name: token.text === "date" ? "date.parse" : "number.parse", args };
    }
    return this.fail(`unknown function #${token.text}: use #date.parse(), #number.parse() or #geo()`, token);
  }

  private args(min: number, max: number): Expr[] {
    const open = this.peek();
    this.expectOp("(");
    const args: Expr[] = [];
    if (!this.takeOp(")")) {
      do args.push(this.expression()); while (this.takeOp(","));
      this.expectOp(")");
    }
    if (args.length < min || args.length > max) {
      this.fail(`expected ${min === max ? min : `${min} or ${max}`} argument(s), got ${args.length}`, open);
    }
    return args;
  }

  private peek(): Token {
    return this.tokens[this.at];
  }

  private next(): Token {
    const token = this.tokens[this.at];
    if (token.kind !== "end") this.at++;
    return token;
  }

  private isOp(token: Token | undefined, text: string): boolean {
    return token !== undefined && token.kind === "op" && token.text === text;
  }

  private peekOp(...texts: string[]): string | undefined {
    const token = this.peek();
    return token.kind === "op" && texts.includes(token.text) ? token.text : undefined;
  }

  private takeOp(text: string): boolean {
    if (!this.isOp(this.peek(), text)) return false;
    this.at++;
    return true;
  }

  private takeWord(word: string): boolean {
    const token = this.peek();
    if (token.kind !== "name" || token.text !== word) return false;
    this.at++;
    return true;
  }

  private expectOp(text: string): void {
    const token = this.peek();
    if (!this.takeOp(text)) this.fail(`expected '${text}', found ${describe(token)}`, token);
  }

  private fail(detail: string, token: Token = this.peek()): never {
    throw new ExprSyntaxError(detail, token.column, this.source);
  }
}

function describe(token: Token): string {
  if (token.kind === "end") return "the end of the expression";
  if (token.kind === "string") return `'${token.text}'`;
  return `'${token.kind === "variable" ? "#" : ""}${token.text}'`;
}
