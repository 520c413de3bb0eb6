/**
 * Splits a JSON array arriving in pieces into the text of its elements, so a file of any size is read
 * one element at a time (each then goes to JSON.parse). Pure: no I/O.
 *
 *   const splitter = new JsonArraySplitter(maxElement);
 *   splitter.feed(text) -> { text, line }[]   complete elements, with the line each starts on
 *   splitter.end()                            throws JsonSplitError when the array is not closed
 *
 * A document that is one object (not an array) is one element. Whitespace between elements is skipped;
 * anything else outside an element (a missing comma, text after `]`) is a JsonSplitError naming the line.
 * An element longer than `maxElement` characters is an error, so memory stays bounded.
 */
export class JsonSplitError extends Error {
  override name = "JsonSplitError";
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

export const MAX_ELEMENT = 64 * 1024 * 1024;

type State = "start" | "before-element" | "after-element" | "element" | "done" | "single";

export class JsonArraySplitter {
  private state: State = "start";
  private depth = 0;
  private inString = false;
  private escaped = false;
  private element = "";
  private line = 1;
  private elementLine = 1;

  constructor(private readonly maxElement = MAX_ELEMENT) {}

  feed(text: string): { text: string; line: number }[] {
    const out: { text: string; line: number }[] = [];
    let start = -1;
    for (let i = 0; i < text.length; i++) {
      const char = text[i];
      if (char === "\n") this.line++;
      if (this.state === "element" || this.state === "single") {
        if (start === -1) start = i;
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (char === "\\") this.escaped = true;
          else if (char === '"') this.inString = false;
          continue;
        }
        if (this.depth === 0 && (char === "," || char === "]")) {
          // a scalar element ends here
          this.element += text.slice(start, i);
          start = -1;
          out.push({ text: this.element.trim(), line: this.elementLine });
          this.element = "";
          this.state = char === "]" ? "done" : "before-element";
          continue;
        }
        if (char === '"') this.inString = true;
        else if (char === "{" || char === "[") this.depth++;
        else if (char === "}" || char === "]") {
          if (--this.depth === 0) {
            this.element += text.slice(start, i + 1);
            start = -1;
            out.push({ text: this.element, line: this.elementLine });
            this.element = "";
            this.state = this.state === "single" ? "done" : "after-element";
            continue;
          }
        }
        continue;
      }
      if (char === " " || char === "\n" || char === "\r" || char === "\t" || char === "\ufeff") continue;
      switch (this.state) {
        case "start":
          if (char === "[") this.state = "before-element";
          else if (char === "{") {
            this.begin("single", char);
            start = i;
          } else this.fail(`expected '[' (a JSON array of records), found '${char}'`);
          break;
        case "before-element":
          if (char === "]" && out.length === 0 && this.depth === 0) this.state = "done";
          else {
            this.begin("element", char);
            start = i;
          }
          break;
        case "after-element":
          if (char === ",") this.state = "before-element";
          else if (char === "]") this.state = "done";
          else this.fail(`expected ',' or ']' between records, found '${char}'`);
          break;
        case "done":
          this.fail(`unexpected '${char}' after the end of the JSON array`);
      }
    }
    if (start !== -1) this.element += text.slice(start);
    if (this.element.length > this.maxElement) {
      this.fail(`a record longer than ${this.maxElement} characters`);
    }
    return out;
  }

  end(): void {
    if (this.state !== "done") this.fail("the JSON array is not closed (the file ends inside it)");
  }

  private begin(state: State, char: string): void {
    this.state = state;
    this.elementLine = this.line;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    if (char === "{" || char === "[") this.depth = 1;
    else if (char === '"') this.inString = true;
  }

  private fail(message: string): never {
    throw new JsonSplitError(message, this.line);
  }
}
