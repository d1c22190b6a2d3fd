/**
 * What a customization can only be checked against once its base is known:
 * the accounts it names exist (in the base image or its own accounts), its
 * users do not clash with the base's, it does not ask for what the base's
 * variant policy forbids, and its tag is its own. Pure: the resolve activity
 * feeds it the base image's real /etc/passwd and /etc/group, so a name is
 * judged against the accounts the image will really have.
 */
import { AccountError, type GroupEntry, mergeAccounts, type PasswdEntry } from '../catalog/accounts';
import type { Variant } from '../image';
import type { Customization } from './schema';

export interface BaseFacts {
  image: string;
  variant: Variant;
  /** Accounts in the base image. */
  users: readonly PasswdEntry[];
  groups: readonly GroupEntry[];
  /** Packages the base definition and its variant policy keep out. */
  excluded: readonly string[];
}

export interface Problem {
  field: string;
  problem: string;
}

export function problemsAgainstBase(c: Customization, base: BaseFacts): Problem[] {
  const problems: Problem[] = [];
  c.packages.forEach((name, i) => {
    if (base.excluded.includes(name)) {
      problems.push({ field: `packages[${i}]`, problem: `${name} is kept out of ${base.image} ${base.variant} images by its definition or the ${base.variant} variant policy` });
    }
  });

  let merged: { users: PasswdEntry[]; groups: GroupEntry[] };
  try {
    merged = mergeAccounts({ users: [...base.users], groups: [...base.groups] }, { users: c.accounts?.users ?? [], groups: c.accounts?.groups ?? [] });
  } catch (err) {
    if (!(err instanceof AccountError)) throw err;
    return [...problems, { field: 'accounts', problem: `${err.message} (in the base image ${base.image}:${base.variant})` }];
  }
  const userNames = new Set(merged.users.map((u) => u.name));
  const groupNames = new Set(merged.groups.map((g) => g.name));
  const known = `known users: ${[...userNames].sort().join(', ')}`;
  const knownGroups = `known groups: ${[...groupNames].sort().join(', ')}`;

  (c.accounts?.groups ?? []).forEach((g, i) =>
    g.members.forEach((m, j) => {
      if (!userNames.has(m)) problems.push({ field: `accounts.groups[${i}].members[${j}]`, problem: `unknown user "${m}" (${known})` });
    }),
  );
  c.files.forEach((f, i) => {
    if (typeof f.uid === 'string' && !userNames.has(f.uid)) problems.push({ field: `files[${i}].uid`, problem: `unknown user "${f.uid}" (${known})` });
    if (typeof f.gid === 'string' && !groupNames.has(f.gid)) problems.push({ field: `files[${i}].gid`, problem: `unknown group "${f.gid}" (${knownGroups})` });
  });

  const runAs = c.accounts?.runAs;
  if (typeof runAs === 'string' && !userNames.has(runAs)) problems.push({ field: 'accounts.runAs', problem: `unknown user "${runAs}" (${known})` });
  const runAsUid = typeof runAs === 'number' ? runAs : merged.users.find((u) => u.name === runAs)?.uid;
  if (base.variant === 'runtime' && runAsUid === 0) {
    problems.push({ field: 'accounts.runAs', problem: 'runtime images never run as root (variant policy); run as a service user instead' });
  }
  return problems;
}

/** `<base tag>-<suffix>`: customizations live in their base's repository, beside its own tags. */
export function customTag(baseTag: string, tagSuffix: string): string {
  return `${baseTag}-${tagSuffix}`;
}

/** Other customizations publishing to the same repository and tag as `c`: two writers of one tag would overwrite each other. */
export function tagClashes(c: Customization, others: readonly (Pick<Customization, 'name' | 'base'> & { tagSuffix?: string })[]): string[] {
  return others
    .filter((o) => o.name !== c.name && o.base.image === c.base.image && o.base.release === c.base.release && o.base.variant === c.base.variant && o.tagSuffix === c.tagSuffix)
    .map((o) => o.name);
}
