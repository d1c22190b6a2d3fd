import { TemperedError } from '../errors';

/** Why the builder refused a tree entry. Each message names the package (or the definition) and the path. */
export type TreeErrorCode =
  /** A name that is absolute, climbs with `..`, has empty or `.` segments, a NUL, or is too long. */
  | 'NAME_INVALID'
  /** A path whose parent directory is a symlink, from any package: writing it would follow the link. */
  | 'THROUGH_SYMLINK'
  /** A path whose parent is a regular file. */
  | 'PARENT_NOT_DIRECTORY'
  /** A hardlink whose target is not a regular file earlier in the image tree. */
  | 'HARDLINK_TARGET'
  /** A device node, FIFO or socket (runtime images hold none). */
  | 'SPECIAL_FILE'
  /** Two packages ship the same non-directory path and neither Replaces the other (dpkg refuses this too). */
  | 'PATH_CONFLICT'
  /** The definition asks for a path that a package ships as another type. */
  | 'PATH_TYPE'
  /** A runtime image would hold a shell or package manager, an unallowed setid file, or a world-writable file (runtimePolicy.ts). */
  | 'RUNTIME_POLICY';

export class TreeError extends TemperedError<TreeErrorCode> {
  constructor(
    code: TreeErrorCode,
    message: string,
    /** The package that shipped the entry, or "the definition". */
    readonly origin: string,
    readonly path: string,
  ) {
    super(code, message);
  }
}
