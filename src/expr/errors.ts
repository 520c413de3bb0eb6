/**
 * The two ways an expression goes wrong.
 *
 * - `ExprSyntaxError`: the text does not parse. `column` is 1-based; `pointer()` shows the text with a
 *   caret under that column. Callers turn it into a usage error (exit 2) before any record is read.
 * - `ExprEvalError`: a well-formed expression met a record it cannot compute with (`'x' * 2`, a date that
 *   does not match --date-format). The record is reported and counted, the run goes on.
 */
export class ExprSyntaxError extends Error {
  override name = "ExprSyntaxError";
  constructor(readonly detail: string, readonly column: number, readonly source: string) {
    super(`${detail} at column ${column}`);
  }

  /** Two lines: the expression, then a caret under the column. */
  pointer(): string {
    return `${this.source}\n${" ".repeat(Math.max(0, this.column - 1))}^`;
  }
}

export class ExprEvalError extends Error {
  override name = "ExprEvalError";
}
