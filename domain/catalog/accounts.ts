/**
 * /etc/passwd and /etc/group for an image: the definition's accounts merged
 * into what the image already has (Debian's base-passwd entries in dev
 * images, an empty file in runtime images, the base image's files for a
 * customization). Existing entries win on name; a definition can add but not
 * silently redefine root.
 */
import type { VariantSpec } from './effective';
import { TemperedError } from '../errors';

export interface PasswdEntry { name: string; uid: number; gid: number; gecos: string; home: string; shell: string }
export interface GroupEntry { name: string; gid: number; members: string[] }

/** What every image has even without base-passwd: root, nobody and nogroup (as in distroless). */
export const MINIMAL_USERS: PasswdEntry[] = [
  { name: 'root', uid: 0, gid: 0, gecos: 'root', home: '/root', shell: '/sbin/nologin' },
  { name: 'nobody', uid: 65534, gid: 65534, gecos: 'nobody', home: '/nonexistent', shell: '/sbin/nologin' },
];
export const MINIMAL_GROUPS: GroupEntry[] = [
  { name: 'root', gid: 0, members: [] },
  { name: 'nogroup', gid: 65534, members: [] },
];

export function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((line) => {
      const [name = '', , uid = '0', gid = '0', gecos = '', home = '/', shell = ''] = line.split(':');
      return { name, uid: Number(uid), gid: Number(gid), gecos, home, shell };
    });
}

export function parseGroup(text: string): GroupEntry[] {
  return text
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((line) => {
      const [name = '', , gid = '0', members = ''] = line.split(':');
      return { name, gid: Number(gid), members: members ? members.split(',') : [] };
    });
}

export const formatPasswd = (users: PasswdEntry[]) => users.map((u) => `${u.name}:x:${u.uid}:${u.gid}:${u.gecos}:${u.home}:${u.shell}\n`).join('');
export const formatGroup = (groups: GroupEntry[]) => groups.map((g) => `${g.name}:x:${g.gid}:${g.members.join(',')}\n`).join('');

export class AccountError extends TemperedError<'ACCOUNT_INVALID'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ACCOUNT_INVALID', message, options);
  }
}

export function mergeAccounts(existing: { users: PasswdEntry[]; groups: GroupEntry[] }, accounts: VariantSpec['accounts']) {
  const users = [...existing.users];
  const groups = [...existing.groups];
  for (const g of accounts.groups) {
    const clash = groups.find((e) => e.name === g.name || e.gid === g.gid);
    if (clash && (clash.name !== g.name || clash.gid !== g.gid)) throw new AccountError(`accounts.groups: ${g.name} (${g.gid}) clashes with existing group ${clash.name} (${clash.gid})`);
    if (!clash) groups.push({ name: g.name, gid: g.gid, members: [...g.members] });
  }
  for (const u of accounts.users) {
    const clash = users.find((e) => e.name === u.name || e.uid === u.uid);
    if (clash && (clash.name !== u.name || clash.uid !== u.uid)) throw new AccountError(`accounts.users: ${u.name} (${u.uid}) clashes with existing user ${clash.name} (${clash.uid})`);
    if (!groups.some((g) => g.gid === u.gid)) throw new AccountError(`accounts.users: ${u.name} has primary group ${u.gid}, which no group defines`);
    if (!clash) users.push({ name: u.name, uid: u.uid, gid: u.gid, gecos: u.gecos, home: u.home ?? '/nonexistent', shell: u.shell });
  }
  return { users, groups };
}

/** Resolves `owner`/`runAs` values (names or ids) against the merged accounts. */
export function resolveUid(owner: string | number, users: PasswdEntry[]): number {
  if (typeof owner === 'number') return owner;
  const user = users.find((u) => u.name === owner);
  if (!user) throw new AccountError(`unknown user "${owner}": define it under accounts.users`);
  return user.uid;
}

export function resolveGid(group: string | number, groups: GroupEntry[]): number {
  if (typeof group === 'number') return group;
  const found = groups.find((g) => g.name === group);
  if (!found) throw new AccountError(`unknown group "${group}": define it under accounts.groups`);
  return found.gid;
}

/** The image config `User` field: uid:gid of runAs (root when unset). */
export function imageUser(runAs: string | number | undefined, merged: { users: PasswdEntry[] }): string {
  if (runAs === undefined) return '0:0';
  const uid = resolveUid(runAs, merged.users);
  const user = merged.users.find((u) => u.uid === uid);
  return `${uid}:${user?.gid ?? uid}`;
}
