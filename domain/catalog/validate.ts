/**
 * Checks an image definition beyond what its schema can see: references
 * between fields (users, groups, owners), the variant policy that a build
 * would otherwise only fail at test time, and mistakes such as duplicates and
 * regular expressions that do not compile. It runs whenever a definition is
 * read (load.ts), so a definition with one of these problems is refused
 * before anything is resolved, built or published.
 *
 * Every problem names the field as written in the file: a top-level field
 * (`accounts.runAs`) or a variant override (`variants.dev.accounts.runAs`).
 * Top-level fields are checked once per variant and reported once.
 */
import { VARIANTS, type Variant } from '../image';
import { MINIMAL_GROUPS, MINIMAL_USERS } from './accounts';
import type { Definition, ImageTest, PathEntry, VariantOverride } from './definition';
import { DEV_REQUIRED_PACKAGES, NONROOT_GID, NONROOT_UID, RUNTIME_FORBIDDEN_PACKAGES } from './policy';

export interface Problem {
  field: string;
  problem: string;
}

/** A value and the field it was written in. */
interface Located<T> {
  value: T;
  field: string;
}

type Accounts = NonNullable<VariantOverride['accounts']>;
type User = Accounts['users'][number];
type Group = Accounts['groups'][number];

export function definitionProblems(definition: Definition): Problem[] {
  const found = new Map<string, Problem>();
  for (const variant of VARIANTS) {
    for (const p of variantProblems(definition, variant)) found.set(`${p.field}\n${p.problem}`, p);
  }
  return [...found.values()];
}

function variantProblems(definition: Definition, variant: Variant): Problem[] {
  const override = definition.variants[variant] ?? {};
  const prefix = `variants.${variant}`;
  const both = <T>(top: readonly T[] | undefined, over: readonly T[] | undefined, field: string): Located<T>[] => [
    ...(top ?? []).map((value, i) => ({ value, field: `${field}[${i}]` })),
    ...(over ?? []).map((value, i) => ({ value, field: `${prefix}.${field}[${i}]` })),
  ];
  const users = mergedByName(both(definition.accounts?.users, override.accounts?.users, 'accounts.users'));
  const groups = mergedByName(both(definition.accounts?.groups, override.accounts?.groups, 'accounts.groups'));
  const runAs: Located<string | number | undefined> =
    override.accounts?.runAs !== undefined
      ? { value: override.accounts.runAs, field: `${prefix}.accounts.runAs` }
      : { value: definition.accounts?.runAs, field: 'accounts.runAs' };
  return [
    ...accountProblems(users, groups),
    ...runAsProblems(runAs, users, variant),
    ...pathProblems(both(definition.paths, override.paths, 'paths'), users, groups),
    ...packageProblems(definition, override, variant),
    ...testProblems(both(definition.tests, override.tests, 'tests')),
  ];
}

/** What effective.ts does to accounts: a variant's entry replaces the top-level one of the same name. */
function mergedByName<T extends { name: string }>(items: Located<T>[]): Located<T>[] {
  const byName = new Map<string, Located<T>>();
  for (const item of items) byName.set(item.value.name, item);
  return [...byName.values()];
}

const knownUser = (name: string, users: Located<User>[]) =>
  MINIMAL_USERS.some((u) => u.name === name) || users.some((u) => u.value.name === name);
const knownGroup = (name: string, groups: Located<Group>[]) =>
  MINIMAL_GROUPS.some((g) => g.name === name) || groups.some((g) => g.value.name === name);
const unknownUser = (name: string) => `unknown user "${name}": define it under accounts.users (root and nobody exist in every image)`;
const unknownGroup = (name: string) => `unknown group "${name}": define it under accounts.groups (root and nogroup exist in every image)`;

function accountProblems(users: Located<User>[], groups: Located<Group>[]): Problem[] {
  const gids = new Set([...MINIMAL_GROUPS.map((g) => g.gid), ...groups.map((g) => g.value.gid)]);
  return [
    ...idClashes(users.map(({ value, field }) => ({ value: { name: value.name, id: value.uid }, field })), MINIMAL_USERS.map((u) => ({ name: u.name, id: u.uid })), 'uid'),
    ...idClashes(groups.map(({ value, field }) => ({ value: { name: value.name, id: value.gid }, field })), MINIMAL_GROUPS.map((g) => ({ name: g.name, id: g.gid })), 'gid'),
    ...users.flatMap((user) =>
      gids.has(user.value.gid) ? [] : [{ field: `${user.field}.gid`, problem: `no group has gid ${user.value.gid}: define it under accounts.groups` }],
    ),
    ...groups.flatMap((group) =>
      group.value.members.flatMap((member, i) => (knownUser(member, users) ? [] : [{ field: `${group.field}.members[${i}]`, problem: unknownUser(member) }])),
    ),
  ];
}

/** Two names for one id would make file ownership ambiguous (root and nobody/nogroup are built in). */
function idClashes(items: Located<{ name: string; id: number }>[], builtIn: { name: string; id: number }[], what: string): Problem[] {
  return items.flatMap((item, i) => {
    const taken = [...builtIn.map((value) => ({ value, field: 'built in' })), ...items.slice(0, i)].find(
      (other) => other.value.id === item.value.id && other.value.name !== item.value.name,
    );
    return taken ? [{ field: item.field, problem: `${what} ${item.value.id} of "${item.value.name}" is already "${taken.value.name}" (${taken.field})` }] : [];
  });
}

/** The variant policy on who the image runs as: runtime 65532:65532, dev root. */
function runAsProblems(runAs: Located<string | number | undefined>, users: Located<User>[], variant: Variant): Problem[] {
  const { value, field } = runAs;
  if (typeof value === 'string' && !knownUser(value, users)) return [{ field, problem: unknownUser(value) }];
  const user =
    value === undefined
      ? { uid: 0, gid: 0 }
      : typeof value === 'number'
        ? (users.find((u) => u.value.uid === value)?.value ?? { uid: value, gid: value })
        : (users.find((u) => u.value.name === value)?.value ?? MINIMAL_USERS.find((u) => u.name === value) ?? { uid: -1, gid: -1 });
  if (variant === 'runtime' && (user.uid !== NONROOT_UID || user.gid !== NONROOT_GID)) {
    return [{ field, problem: `the runtime variant must run as ${NONROOT_UID}:${NONROOT_GID} (runtime policy), not ${user.uid}:${user.gid}` }];
  }
  if (variant === 'dev' && user.uid !== 0) {
    return [{ field, problem: `the dev variant must run as root (dev policy), not uid ${user.uid}: set variants.dev.accounts.runAs to root` }];
  }
  return [];
}

function pathProblems(paths: Located<PathEntry>[], users: Located<User>[], groups: Located<Group>[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  for (const { value: entry, field } of paths) {
    const earlier = seen.get(entry.path);
    // A variant may replace a top-level entry; the same list naming a path twice is a mistake.
    if (earlier !== undefined && earlier.startsWith('variants.') === field.startsWith('variants.')) {
      problems.push({ field: `${field}.path`, problem: `${entry.path} is already given at ${earlier}` });
    }
    seen.set(entry.path, field);
    if (entry.type === 'symlink') continue;
    if (typeof entry.owner === 'string' && !knownUser(entry.owner, users)) problems.push({ field: `${field}.owner`, problem: unknownUser(entry.owner) });
    if (typeof entry.group === 'string' && !knownGroup(entry.group, groups)) problems.push({ field: `${field}.group`, problem: unknownGroup(entry.group) });
    if (entry.type === 'directory' && entry.path === '/') problems.push({ field: `${field}.path`, problem: 'the image root cannot be replaced' });
  }
  return problems;
}

function packageProblems(definition: Definition, override: VariantOverride, variant: Variant): Problem[] {
  const prefix = `variants.${variant}`;
  const list = (names: readonly string[] | undefined, field: string) => (names ?? []).map((value, i) => ({ value, field: `${field}[${i}]` }));
  const include = [...list(definition.packages.include, 'packages.include'), ...list(override.packages?.include, `${prefix}.packages.include`)];
  const exclude = [...list(definition.packages.exclude, 'packages.exclude'), ...list(override.packages?.exclude, `${prefix}.packages.exclude`)];
  const problems: Problem[] = [];
  for (const ex of exclude) {
    const inc = include.find((i) => i.value === ex.value);
    if (inc) problems.push({ field: ex.field, problem: `"${ex.value}" is also included (${inc.field}): a package cannot be both` });
    if (variant === 'dev' && (DEV_REQUIRED_PACKAGES as readonly string[]).includes(ex.value)) {
      problems.push({ field: ex.field, problem: `"${ex.value}" is required in every dev image (dev policy) and cannot be excluded` });
    }
  }
  if (variant === 'runtime') {
    for (const inc of include) {
      if ((RUNTIME_FORBIDDEN_PACKAGES as readonly string[]).includes(inc.value)) {
        problems.push({ field: inc.field, problem: `"${inc.value}" puts a shell, apt, dpkg or perl into the runtime image, which the runtime policy forbids: include it under variants.dev only` });
      }
    }
  }
  return problems;
}

function testProblems(tests: Located<ImageTest>[]): Problem[] {
  const problems: Problem[] = [];
  const names = new Map<string, string>();
  for (const { value: test, field } of tests) {
    const earlier = names.get(test.name);
    if (earlier !== undefined) problems.push({ field: `${field}.name`, problem: `"${test.name}" is already the name of ${earlier}: test reports are keyed by name` });
    // Patterns are checked by the schema: RE2 semantics, the engine tests match with (testPattern.ts).
    names.set(test.name, field);
  }
  return problems;
}
