// One printing path for text and JSON, like iproute2's lib/json_print.c over
// lib/json_writer.c: each field is printed once with a JSON key and a text format, and
// the output mode decides which half is used. Pretty JSON reproduces json_writer's
// separators and four-space indentation byte for byte.

/** PRINT_ANY, PRINT_FP (text only), PRINT_JSON (JSON only). */
export type PrintKind = 'any' | 'fp' | 'json';

export type JsonValue = string | number | boolean | null;

/** lib/json_writer.c: depth, a pending separator, and pretty newlines. */
class JsonWriter {
  out = '';
  #depth = 0;
  #sep = '';
  readonly #pretty: boolean;

  constructor(pretty: boolean) {
    this.#pretty = pretty;
  }

  #indent(): void {
    this.out += '    '.repeat(this.#depth);
  }

  #eol(): void {
    if (!this.#pretty) return;
    this.out += '\n';
    this.#indent();
  }

  #eor(): void {
    if (this.#sep !== '') this.out += this.#sep;
    this.#sep = ',';
  }

  #begin(c: string): void {
    this.#eor();
    this.out += c;
    this.#depth++;
    this.#sep = '';
  }

  #end(c: string): void {
    if (this.#depth > 0) this.#depth--;
    if (this.#sep !== '') this.#eol();
    this.out += c;
    this.#sep = ',';
  }

  name(name: string): void {
    this.#eor();
    this.#eol();
    this.#sep = '';
    this.out += jsonQuote(name) + ':';
    if (this.#pretty) this.out += ' ';
  }

  value(v: JsonValue): void {
    this.#eor();
    this.out += typeof v === 'string' ? jsonQuote(v) : String(v);
  }

  /** jsonw_printf: a number written with the caller's own format. */
  raw(text: string): void {
    this.#eor();
    this.out += text;
  }

  startObject(): void {
    this.#begin('{');
  }

  endObject(): void {
    this.#end('}');
  }

  startArray(): void {
    this.#begin('[');
    if (this.#pretty) this.out += ' ';
  }

  endArray(): void {
    if (this.#pretty && this.#sep !== '') this.out += ' ';
    this.#sep = '';
    this.#end(']');
  }
}

/** jsonw_puts(): escapes like json_writer (control characters as \uXXXX, / left alone). */
function jsonQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\b') out += '\\b';
    else if (c < 0x20) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

export interface PrinterOptions {
  readonly json: boolean;
  readonly pretty: boolean;
  /** `-o`: iproute2's _SL_ becomes a backslash so each record stays on one line. */
  readonly oneline: boolean;
}

/**
 * The output of one command, text or JSON. Text formats contain at most one `%s`,
 * replaced by the text form of the value; numbers are formatted by the caller.
 */
export class Printer {
  readonly json: boolean;
  /** iproute2's _SL_: the record-internal line separator. */
  readonly sl: string;
  #text = '';
  readonly #writer: JsonWriter | null;

  constructor(opts: PrinterOptions) {
    this.json = opts.json;
    this.sl = opts.oneline ? '\\' : '\n';
    this.#writer = opts.json ? new JsonWriter(opts.pretty) : null;
  }

  /** Raw text, ignored in JSON mode (fprintf(fp, ...)). */
  fp(text: string): void {
    if (this.#writer === null) this.#text += text;
  }

  /** print_string/print_uint/print_bool(kind, key, fmt, value). */
  print(kind: PrintKind, key: string | null, fmt: string | null, value: JsonValue): void {
    if (this.#writer !== null) {
      if (kind === 'fp') return;
      if (key !== null) this.#writer.name(key);
      this.#writer.value(value);
      return;
    }
    if (kind === 'json' || fmt === null) return;
    const text = value === null ? '' : typeof value === 'boolean' ? String(value) : String(value);
    this.#text += fmt.includes('%s') ? fmt.replace('%s', () => text) : fmt;
  }

  /** A JSON number in the caller's format (jsonw_printf), or the text format. */
  printNumber(key: string, fmt: string, jsonText: string, text: string): void {
    if (this.#writer !== null) {
      this.#writer.name(key);
      this.#writer.raw(jsonText);
      return;
    }
    this.#text += fmt.replace('%s', () => text);
  }

  /** print_null(): JSON null, or the text format. */
  printNull(kind: PrintKind, key: string, fmt: string | null, text: string): void {
    if (this.#writer !== null) {
      if (kind === 'fp') return;
      this.#writer.name(key);
      this.#writer.value(null);
      return;
    }
    if (kind === 'json' || fmt === null) return;
    this.#text += fmt.replace('%s', () => text);
  }

  /** open_json_object(key): JSON only. */
  openObject(key: string | null): void {
    if (this.#writer === null) return;
    if (key !== null) this.#writer.name(key);
    this.#writer.startObject();
  }

  closeObject(): void {
    this.#writer?.endObject();
  }

  /** open_json_array(kind, str): in text mode `str` is printed (e.g. `<`). */
  openArray(kind: PrintKind, keyOrText: string | null): void {
    if (this.#writer !== null) {
      if (kind === 'fp') return;
      if (keyOrText !== null) this.#writer.name(keyOrText);
      this.#writer.startArray();
      return;
    }
    if (kind !== 'json' && keyOrText !== null) this.#text += keyOrText;
  }

  closeArray(kind: PrintKind, text: string | null): void {
    if (this.#writer !== null) {
      if (kind !== 'fp') this.#writer.endArray();
      return;
    }
    if (kind !== 'json' && text !== null) this.#text += text;
  }

  /** The text written so far in text mode, or the JSON document so far. */
  get output(): string {
    return this.#writer !== null ? this.#writer.out : this.#text;
  }

  /** new_json_obj(): the outer `[` of a JSON listing. */
  begin(): void {
    this.#writer?.startArray();
  }

  /** delete_json_obj(): the closing `]` and the newline json_writer adds on destroy. */
  end(): void {
    if (this.#writer === null) return;
    this.#writer.endArray();
    this.#writer.out += '\n';
  }
}
