/**
 * Package relationship fields (Debian Policy §7.1): Depends, Pre-Depends,
 * Provides, Conflicts, Breaks... A field is an AND of groups, each group an
 * OR of alternatives: `libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0`.
 *
 * Binary indexes carry the relations dpkg-gencontrol already evaluated for
 * one architecture, so architecture restrictions and build profiles almost
 * never appear; they are parsed anyway (a hand-written control file may
 * have them) and evaluated for amd64 with no build profile active.
 */
import { InvalidVersionError, assertValidVersion, type VersionRelation } from './version';
import { TemperedError } from '../errors';

export interface Relation {
  name: string;
  /** `:any`, `:native` or an architecture, as in `python3:any`. */
  archQualifier?: string;
  relation?: VersionRelation;
  version?: string;
}

export class RelationSyntaxError extends TemperedError<'RELATION_SYNTAX'> {
  constructor(readonly text: string, readonly problem: string) {
    super('RELATION_SYNTAX', `malformed relationship field "${text}": ${problem}`);
  }
}

/** dpkg's tuple for amd64 (base-gnu-linux-amd64), which arch wildcards like `linux-any` are matched against. */
const HOST_TUPLE = ['base', 'gnu', 'linux', 'amd64'] as const;

/** Policy §5.6.1: lower case letters, digits, `+ - .`, starting with a letter or digit. */
const PACKAGE_NAME = '[a-z0-9][a-z0-9+.-]*';
const PACKAGE_NAME_ONLY = new RegExp(`^${PACKAGE_NAME}$`);

export const isPackageName = (text: string): boolean => PACKAGE_NAME_ONLY.test(text);

/**
 * One alternative, `name[:arch] [(op version)] [[archs]] [<profiles>]...`,
 * and the separator after it (`,`, `|` or the end). Sticky: the whole field
 * is read in place, one exec per alternative, with no split() copies; this
 * runs 400,000 times per Packages index and allocation is its cost.
 */
const ALTERNATIVE = new RegExp(
  `\\s*(${PACKAGE_NAME})(?::([a-z0-9-]+))?\\s*(?:\\(\\s*(<<|<=|>=|>>|=|<|>)\\s*([^\\s()]+)\\s*\\))?\\s*(?:\\[([^\\]]*)\\])?\\s*((?:<[^<>]*>\\s*)*)(,|\\||$)`,
  'y',
);

/**
 * dpkg still reads the obsolete `<` and `>` as `<=` and `>=` (not strict!),
 * so they are mapped rather than refused.
 */
const RELATIONS: Readonly<Record<string, VersionRelation>> = {
  '<<': '<<',
  '<=': '<=',
  '<': '<=',
  '=': '=',
  '>=': '>=',
  '>': '>=',
  '>>': '>>',
};

/**
 * Parses a relationship field into groups of alternatives. Alternatives
 * restricted away from amd64 (`[!amd64]`, `[i386]`) or to a build profile
 * (`<stage1>`) are dropped, and a group left empty with them.
 * Throws RelationSyntaxError naming the field text and the bad part.
 */
export function parseRelations(text: string): Relation[][] {
  const groups: Relation[][] = [];
  if (/^\s*$/.test(text)) return groups;
  let group: Relation[] = [];
  for (let position = 0, separator = ','; separator !== ''; ) {
    ALTERNATIVE.lastIndex = position;
    const match = ALTERNATIVE.exec(text);
    if (match === null) throw new RelationSyntaxError(text, unreadablePart(text, position, separator));
    const relation = relationFrom(text, match);
    if (relation !== null) group.push(relation);
    separator = match[7] ?? '';
    if (separator !== '|') {
      if (group.length > 0) groups.push(group);
      group = [];
    }
    position = ALTERNATIVE.lastIndex;
  }
  return groups;
}

/** What is wrong at `position`, which follows `separator`. */
function unreadablePart(text: string, position: number, separator: string): string {
  const part = text.slice(position).split(/[,|]/, 1)[0]?.trim() ?? '';
  if (part !== '') return `cannot read "${part}"`;
  return separator === '|' ? 'empty alternative' : 'empty entry between commas';
}

/** The relation a match describes, or null when it does not apply to amd64. */
function relationFrom(fieldText: string, match: RegExpExecArray): Relation | null {
  const [, name = '', archQualifier, operator, version, archList, profiles] = match;
  if (archList !== undefined && !archListIncludesHost(fieldText, archList)) return null;
  if (profiles && !profilesAllowWithNoneActive(fieldText, profiles)) return null;

  const relation: Relation = { name };
  if (archQualifier !== undefined) relation.archQualifier = archQualifier;
  if (operator !== undefined && version !== undefined) {
    relation.relation = RELATIONS[operator];
    relation.version = checkedVersion(fieldText, version);
  }
  return relation;
}

function checkedVersion(fieldText: string, version: string): string {
  try {
    assertValidVersion(version);
    return version;
  } catch (error) {
    if (error instanceof InvalidVersionError) throw new RelationSyntaxError(fieldText, error.message);
    throw error;
  }
}

/** `[amd64 i386]` keeps the alternative on a listed arch, `[!i386]` off one; dpkg refuses a mix. */
function archListIncludesHost(fieldText: string, archList: string): boolean {
  const terms = archList.trim().split(/\s+/).filter((term) => term !== '');
  if (terms.length === 0) throw new RelationSyntaxError(fieldText, 'empty architecture list "[]"');
  const negated = terms.filter((term) => term.startsWith('!'));
  if (negated.length > 0 && negated.length < terms.length) {
    throw new RelationSyntaxError(fieldText, `architecture list [${archList}] mixes negated and plain entries`);
  }
  if (negated.length > 0) return !negated.some((term) => archMatchesHost(term.slice(1)));
  return terms.some(archMatchesHost);
}

/**
 * dpkg's wildcard rule: a name with k dash-separated parts is compared with
 * the last k parts of the tuple, `any` matching anything; `any` alone
 * matches every architecture and a plain name must be the architecture.
 */
function archMatchesHost(arch: string): boolean {
  if (arch === 'any' || arch === HOST_TUPLE[HOST_TUPLE.length - 1]) return true;
  const parts = arch.split('-');
  if (parts.length < 2 || parts.length > HOST_TUPLE.length) return false;
  const tail = HOST_TUPLE.slice(HOST_TUPLE.length - parts.length);
  return parts.every((part, i) => part === 'any' || part === tail[i]);
}

/**
 * `<!nocheck> <stage1 cross>` means (!nocheck) OR (stage1 AND cross). With
 * no profile active a plain term is false and a negated one true. Binary
 * packages are installed, not built, so no profile is ever active here.
 */
function profilesAllowWithNoneActive(fieldText: string, profiles: string): boolean {
  const formulas = [...profiles.matchAll(/<([^<>]*)>/g)].map((m) => (m[1] ?? '').trim().split(/\s+/));
  if (formulas.some((terms) => terms[0] === '')) throw new RelationSyntaxError(fieldText, 'empty build profile list "<>"');
  return formulas.some((terms) => terms.every((term) => term.startsWith('!')));
}

/** `libfoo:any (>= 2)`, as in the field: for messages. */
export function formatRelation(relation: Relation): string {
  const qualifier = relation.archQualifier === undefined ? '' : `:${relation.archQualifier}`;
  const constraint = relation.relation === undefined ? '' : ` (${relation.relation} ${relation.version})`;
  return `${relation.name}${qualifier}${constraint}`;
}
