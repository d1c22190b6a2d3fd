/** Writes the merged accounts into a root filesystem and creates home directories. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  formatGroup, formatPasswd, type GroupEntry, MINIMAL_GROUPS, MINIMAL_USERS, mergeAccounts, parseGroup, parsePasswd, type PasswdEntry,
} from '../../../domain/catalog/accounts';
import type { VariantSpec } from '../../../domain/catalog/effective';
import { insideRoot } from './paths';

export interface Accounts { users: PasswdEntry[]; groups: GroupEntry[] }

export function readAccounts(rootfs: string): Accounts {
  const passwd = path.join(rootfs, 'etc/passwd');
  const group = path.join(rootfs, 'etc/group');
  return {
    users: fs.existsSync(passwd) ? parsePasswd(fs.readFileSync(passwd, 'utf8')) : [...MINIMAL_USERS],
    groups: fs.existsSync(group) ? parseGroup(fs.readFileSync(group, 'utf8')) : [...MINIMAL_GROUPS],
  };
}

export function writeAccounts(rootfs: string, accounts: VariantSpec['accounts']): Accounts {
  const merged = mergeAccounts(readAccounts(rootfs), accounts);
  fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'etc/passwd'), formatPasswd(merged.users), { mode: 0o644 });
  fs.writeFileSync(path.join(rootfs, 'etc/group'), formatGroup(merged.groups), { mode: 0o644 });
  for (const user of accounts.users) {
    if (!user.home) continue;
    const home = insideRoot(rootfs, user.home);
    if (fs.existsSync(home)) continue;
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    fs.chmodSync(home, 0o700);
    fs.chownSync(home, user.uid, user.gid);
  }
  return merged;
}
