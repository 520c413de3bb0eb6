/**
 * The expression language of imports, pure (no Deno.*, no I/O): parse once, evaluate per record.
 *
 *   parseExpression(text) -> Expr        ExprSyntaxError(detail, column) when it does not parse
 *   evaluate(expr, fields, context)      -> FieldValue; ExprEvalError for a record it cannot compute with
 *   isTrue(value)                        the truth a --filter uses
 *   parseTemplate / renderTemplate       `#{expr}` templates (key templates, RIOT's --key-proc)
 *   compileDateFormat(pattern)           --date-format (Java-style letters)
 *   Fields, FieldValue, toText, toNumber, toArg   the record and its values
 */
export type { Expr } from "./ast.ts";
export { compileDateFormat, type DateFormat, parseIsoDate } from "./date_format.ts";
export { ExprEvalError, ExprSyntaxError } from "./errors.ts";
export { type EvalContext, evaluate, isTrue } from "./evaluate.ts";
export { MAX_EXPRESSION_LENGTH } from "./lexer.ts";
export { MAX_DEPTH, parseExpression } from "./parser.ts";
export { isTemplate, parseTemplate, renderTemplate, type Template } from "./template.ts";
export { type Fields, type FieldValue, toArg, toNumber, toText } from "./value.ts";
