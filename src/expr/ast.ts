/** The parsed form of an expression (parser.ts builds it, evaluate.ts walks it). */
import type { FieldValue } from "./value.ts";

export type BinaryOp = "==" | "!=" | "<" | ">" | "<=" | ">=" | "+" | "-" | "*" | "/" | "%";

/** Functions callable by name: `remove('f')`, `#date.parse(x)`, `#number.parse(x)`, `#geo(lon, lat)`. */
export type FunctionName = "remove" | "date.parse" | "number.parse" | "geo";

/** Methods callable on a value: `#date.parse(d).getTime()`, `name.toUpperCase()` ... */
export type MethodName = "getTime" | "toString" | "toUpperCase" | "toLowerCase" | "trim" | "length";

export type Expr =
  | { type: "literal"; value: FieldValue }
  | { type: "field"; name: string }
  | { type: "not"; operand: Expr }
  | { type: "negate"; operand: Expr }
  | { type: "and" | "or"; left: Expr; right: Expr }
  | { type: "binary"; op: BinaryOp; left: Expr; right: Expr }
  | { type: "elvis"; left: Expr; right: Expr }
  | { type: "conditional"; test: Expr; then: Expr; otherwise: Expr }
  | { type: "matches"; operand: Expr; regex: RegExp }
  | { type: "call"; name: FunctionName; args: Expr[] }
  | { type: "method"; target: Expr; name: MethodName };
