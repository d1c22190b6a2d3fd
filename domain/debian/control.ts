/**
 * deb822 control data (Debian Policy §5.1): the format of Packages indexes,
 * Release files, the dpkg status database and a .deb's control file.
 *
 * A stanza keeps field names as written and each value as a string. A value
 * that spans lines is the first line, then every continuation line verbatim
 * (with its leading space or tab), joined by "\n". That keeps folded fields
 * (Depends) and multiline ones (Description, SHA256 lists) apart without
 * knowing which field is which, and lets formatStanza write them back exactly.
 *
 * Comments are not accepted: none of the formats above allows them
 * (only debian/control and apt's .sources do).
 */

import { TemperedError } from '../errors';

export type Stanza = Readonly<Record<string, string>>;

export class ControlSyntaxError extends TemperedError<'CONTROL_SYNTAX'> {
  constructor(readonly problem: string) {
    super('CONTROL_SYNTAX', `malformed control data: ${problem}`);
  }
}

/** US-ASCII printable except space and colon, not starting with '#' or '-' (Policy §5.1). */
const FIELD_NAME = /^(?![#-])[\x21-\x39\x3b-\x7e]+$/;
const SPACE = 32;
const TAB = 9;
const COLON = 58;
const isBlankAt = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i);
  return c === SPACE || c === TAB;
};

/** Drops leading and trailing spaces and tabs. */
function trimBlanks(text: string): string {
  const start = skipBlanks(text, 0, text.length);
  const end = trimBlanksBefore(text, start, text.length);
  return text.slice(start, end);
}

function skipBlanks(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && isBlankAt(text, i)) i++;
  return i;
}

function trimBlanksBefore(text: string, from: number, to: number): number {
  let i = to;
  while (i > from && isBlankAt(text, i - 1)) i--;
  return i;
}

const isBlankRange = (text: string, from: number, to: number): boolean => skipBlanks(text, from, to) === to;
const isBlankLine = (line: string): boolean => isBlankRange(line, 0, line.length);

function endOfLine(text: string, from: number): number {
  const newline = text.indexOf('\n', from);
  return newline < 0 ? text.length : newline;
}

/** Line number of a position, for error messages only: counting on the hot path would cost every parse. */
const lineAt = (text: string, position: number): number => text.slice(0, position).split('\n').length;

/**
 * Parses every stanza of `text`. Stanzas are separated by lines that are
 * empty or hold only blanks. Throws ControlSyntaxError, naming the line, on
 * a line that is neither a field nor a continuation, and on a field given
 * twice in one stanza (dpkg refuses both). Stanzas are plain objects, whose
 * shape V8 shares across stanzas with the same fields.
 */
export function parseStanzas(text: string): Stanza[] {
  const stanzas: Stanza[] = [];
  let current: Record<string, string> = {};
  scanStanzas(text, {
    field(scanned) {
      if (Object.hasOwn(current, scanned.name)) throw new ControlSyntaxError(`line ${scanned.line()}: duplicate field ${scanned.name}`);
      setField(current, scanned.name, scanned.value());
    },
    endStanza() {
      stanzas.push(current);
      current = {};
    },
  });
  return stanzas;
}

/** A field as scanStanzas meets it. One object, reused: read it before the next field. */
export interface ScannedField {
  /** As written. */
  readonly name: string;
  /** The value as parseStanzas would keep it. Cut from the text only when asked for. */
  value(): string;
  /** Line number of the field, for messages. */
  line(): number;
}

export interface StanzaVisitor {
  field(field: ScannedField): void;
  endStanza(): void;
}

/**
 * The loop under parseStanzas, for readers that want a few fields of very
 * many stanzas (parsePackagesIndex): no object per stanza, and no string
 * for a field nobody asks the value of (Description, MD5sum, Tag...).
 *
 * This is the hot path of reading a 50 MB Packages index (a million lines),
 * so it works on positions in `text`: a value is one slice (a Description
 * with all its continuation lines) and known field names are matched in
 * place (FieldNames). Cutting every line and joining them again was three
 * times slower, mostly in garbage collection.
 */
export function scanStanzas(text: string, visitor: StanzaVisitor): void {
  const current = new FieldScanner(text);
  let inStanza = false;
  for (let position = 0; position < text.length; ) {
    const lineEnd = endOfLine(text, position);
    if (isBlankRange(text, position, lineEnd)) {
      if (inStanza) visitor.endStanza();
      inStanza = false;
      current.endStanza();
      position = lineEnd + 1;
    } else if (isBlankAt(text, position)) {
      throw new ControlSyntaxError(`line ${lineAt(text, position)}: continuation line outside a field`);
    } else {
      inStanza = true;
      position = current.read(position, lineEnd) + 1;
      visitor.field(current);
    }
  }
  if (inStanza) visitor.endStanza();
}

/** The field scanStanzas is on: where its name, first line and continuation lines are in the text. */
class FieldScanner implements ScannedField {
  name = '';
  private readonly names = new FieldNames();
  private start = 0;
  private valueStart = 0;
  private lineEnd = 0;
  private end = 0;

  constructor(private readonly text: string) {}

  /** Moves to the field whose first line is [start, lineEnd); returns where its last line ends. */
  read(start: number, lineEnd: number): number {
    this.name = this.names.read(this.text, start, lineEnd);
    this.start = start;
    this.lineEnd = lineEnd;
    this.valueStart = skipBlanks(this.text, start + this.name.length + 1, lineEnd);
    this.end = endOfContinuations(this.text, lineEnd);
    return this.end;
  }

  endStanza(): void {
    this.names.endStanza();
  }

  value(): string {
    const { text, valueStart, lineEnd, end } = this;
    const firstLineEnd = trimBlanksBefore(text, valueStart, lineEnd);
    const continuations = text.slice(lineEnd, end);
    // Blanks ending a line are not part of the value; real indexes almost never have them, so one slice usually does.
    if (firstLineEnd === lineEnd && !TRAILING_BLANKS.test(continuations)) return text.slice(valueStart, end);
    return text.slice(valueStart, firstLineEnd) + continuations.replace(TRAILING_BLANKS_GLOBAL, '');
  }

  line(): number {
    return lineAt(this.text, this.start);
  }
}

const TRAILING_BLANKS = /[ \t]+(?=\n|$)/;
const TRAILING_BLANKS_GLOBAL = new RegExp(TRAILING_BLANKS.source, 'g');

/** The end of the last continuation line (starting with a blank, not blank-only) after `lineEnd`. */
function endOfContinuations(text: string, lineEnd: number): number {
  let end = lineEnd;
  while (end < text.length && isBlankAt(text, end + 1)) {
    const next = endOfLine(text, end + 1);
    if (isBlankRange(text, end + 1, next)) break;
    end = next;
  }
  return end;
}

/**
 * Reads field names. Indexes list fields in nearly the same order in every
 * stanza, so the name that followed the previous field last time is checked
 * in place first: when it matches, no string is cut, hashed or validated.
 */
class FieldNames {
  private readonly next = new Map<string, string>();
  private previous = '';

  read(text: string, start: number, lineEnd: number): string {
    const guess = this.next.get(this.previous);
    const name =
      guess !== undefined && text.charCodeAt(start + guess.length) === COLON && text.startsWith(guess, start)
        ? guess
        : this.readNew(text, start, lineEnd);
    this.next.set(this.previous, name);
    this.previous = name;
    return name;
  }

  endStanza(): void {
    this.previous = '';
  }

  private readNew(text: string, start: number, lineEnd: number): string {
    const colon = text.indexOf(':', start);
    const name = colon < 0 || colon > lineEnd ? '' : text.slice(start, colon);
    if (!FIELD_NAME.test(name)) {
      const line = text.slice(start, Math.min(lineEnd, start + 80));
      const hint = line.startsWith('-----BEGIN PGP') ? ' (PGP-signed text: use stripPgpSignature first)' : '';
      throw new ControlSyntaxError(`line ${lineAt(text, start)}: expected "Field: value", got "${line}"${hint}`);
    }
    return name;
  }
}

/** A field may be called anything, "__proto__" included, which a plain assignment would swallow. */
function setField(stanza: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(stanza, name, { value, enumerable: true, writable: true, configurable: true });
  else stanza[name] = value;
}

/**
 * Looks a field up by name, ignoring case as dpkg and apt do
 * ("Sha256" and "SHA256" are the same field).
 */
export function field(stanza: Stanza, name: string): string | undefined {
  const exact = stanza[name];
  // typeof, because a bare lookup of "constructor" finds Object.prototype's function.
  if (typeof exact === 'string') return exact;
  const wanted = lowerCase(name);
  for (const key in stanza) if (lowerCase(key) === wanted) return stanza[key];
  return undefined;
}

/**
 * Field names repeat in every stanza, and a miss in field() (an optional
 * field) compares every name of the stanza: remembering their lower-case
 * forms saves a string per comparison. Real data has a few dozen names;
 * the bound only keeps hostile input from growing it for ever.
 */
const lowerCaseNames = new Map<string, string>();
const MAX_REMEMBERED_NAMES = 4096;
function lowerCase(name: string): string {
  let lower = lowerCaseNames.get(name);
  if (lower === undefined) {
    if (lowerCaseNames.size >= MAX_REMEMBERED_NAMES) lowerCaseNames.clear();
    lower = name.toLowerCase();
    lowerCaseNames.set(name, lower);
  }
  return lower;
}

/**
 * Writes one stanza, each field on its own line(s), ending with "\n". Join
 * stanzas with "\n" to get the blank line between them.
 *
 * Refuses any value that would not read back as itself, in particular a
 * newline not followed by a blank or followed by an empty line: written out,
 * those would start a new field or a new stanza, so a value taken from
 * outside could forge fields.
 */
export function formatStanza(entries: ReadonlyArray<readonly [string, string]>): string {
  return entries.map(([name, value]) => formatField(name, value)).join('');
}

function formatField(name: string, value: string): string {
  if (!FIELD_NAME.test(name)) throw new ControlSyntaxError(`"${name}" is not a valid field name`);
  const [first = '', ...continuations] = value.split('\n');
  if (first !== trimBlanks(first)) {
    throw new ControlSyntaxError(`field ${name}: first line has leading or trailing blanks`);
  }
  for (const line of continuations) {
    if (!isBlankAt(line, 0) || isBlankLine(line) || TRAILING_BLANKS.test(line)) {
      throw new ControlSyntaxError(`field ${name}: continuation line "${line}" must start with a blank, hold text and not end with blanks`);
    }
  }
  const separator = first === '' ? '' : ' ';
  return `${name}:${separator}${value}\n`;
}

const SIGNED_MESSAGE = '-----BEGIN PGP SIGNED MESSAGE-----';
const SIGNATURE_START = '-----BEGIN PGP SIGNATURE-----';
const SIGNATURE_END = '-----END PGP SIGNATURE-----';

export class PgpArmorError extends TemperedError<'PGP_ARMOR'> {
  constructor(readonly problem: string) {
    super('PGP_ARMOR', `not a well-formed PGP clearsigned message: ${problem}`);
  }
}

/**
 * Returns the signed text of a clearsigned message (RFC 4880 §7), such as an
 * InRelease file, exactly as `gpgv --output -` prints it. It does NOT check
 * the signature: run gpgv on the same bytes for that.
 *
 * Like apt's SplitClearSignedFile, it refuses anything but blank lines
 * outside the signed part: text before the header or after the signature
 * would be read by a careless parser, yet no signature covers it.
 */
export function stripPgpSignature(text: string): string {
  const lines = text.split('\n');
  let i = skipBlankLines(lines, 0);
  if (lines[i] !== SIGNED_MESSAGE) throw new PgpArmorError(`does not start with "${SIGNED_MESSAGE}"`);
  i = skipArmorHeaders(lines, i + 1);

  const body: string[] = [];
  for (; i < lines.length && lines[i] !== SIGNATURE_START; i++) body.push(undoDashEscape(lines[i] ?? '', i + 1));
  if (i === lines.length) throw new PgpArmorError(`no "${SIGNATURE_START}" line`);

  const end = lines.indexOf(SIGNATURE_END, i);
  if (end < 0) throw new PgpArmorError(`no "${SIGNATURE_END}" line`);
  if (skipBlankLines(lines, end + 1) !== lines.length) throw new PgpArmorError(`text after "${SIGNATURE_END}" is not signed`);
  return `${body.join('\n')}\n`;
}

function skipBlankLines(lines: readonly string[], from: number): number {
  let i = from;
  while (i < lines.length && isBlankLine(lines[i] ?? '')) i++;
  return i;
}

/** Skips "Hash: SHA256"-style lines up to and including the empty line that ends them. */
function skipArmorHeaders(lines: readonly string[], from: number): number {
  let i = from;
  for (; i < lines.length && lines[i] !== ''; i++) {
    if (!/^[A-Za-z]+: \S/.test(lines[i] ?? '')) throw new PgpArmorError(`line ${i + 1}: bad armor header "${lines[i]}"`);
  }
  if (i === lines.length) throw new PgpArmorError('no empty line after the armor headers');
  return i + 1;
}

/** A signed line starting with '-' is written as "- -..."; any other line starting with '-' is malformed. */
function undoDashEscape(line: string, lineNumber: number): string {
  if (line.startsWith('- ')) return line.slice(2);
  if (line.startsWith('-')) throw new PgpArmorError(`line ${lineNumber}: unexpected "${line}" inside the signed text`);
  return line;
}
