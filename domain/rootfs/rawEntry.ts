/** One tar entry as an archive (a package's data.tar, a dev root filesystem) wrote it: unvalidated. */
export type RawEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'character-device' | 'block-device' | 'fifo' | 'other';

export interface RawEntry {
  name: string;
  type: RawEntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  linkname?: string;
}
