/**
 * Parsing of the arguments the on-call commands share. Bad input is a
 * CliError with exit code 2, raised before anything talks to Temporal, so a
 * typo never reaches a workflow.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Release } from '../domain/debian/releases';
import type { ImageRef } from '../domain/imageId';
import { CliError, ExitCode } from './output';
import { config } from './runtime';

/** As DigestSchema (domain/image.ts) says, without loading zod for it. */
const FULL_DIGEST = /^sha256:[0-9a-f]{64}$/;

export const IMAGE_HELP = 'NAME (the newest release, runtime), NAME:TAG (trixie, bookworm-dev, latest, latest-dev), NAME:VARIANT, image:NAME:RELEASE:VARIANT or custom:NAME';

export function imageArgument(text: string): ImageRef {
  const { parseImageArgument } = require('../domain/image') as typeof import('../domain/image');
  try {
    return parseImageArgument(text, newestReleaseInCatalog);
  } catch (err) {
    // zod's issue list is noise here: the accepted forms say it all.
    const why = (err as { issues?: { message: string }[] }).issues?.[0]?.message;
    throw new CliError(`"${text}" is not an image${why ? ` (${why})` : ''}: use ${IMAGE_HELP}`, ExitCode.usage);
  }
}

/**
 * The newest release the catalog builds an image for (`canary` built for
 * bookworm only: bookworm). Undefined when this machine has no such
 * definition or cannot read it: the argument then means the newest release.
 */
function newestReleaseInCatalog(name: string): Release | undefined {
  const { findDefinition } = require('../domain/catalog/load') as typeof import('../domain/catalog/load');
  const { definitionReleases } = require('../domain/catalog/definition') as typeof import('../domain/catalog/definition');
  try {
    return definitionReleases(findDefinition(config().catalogDir, name).definition)[0];
  } catch {
    return undefined;
  }
}

/** Who asks, as recorded in the workflow (cycle reasons, pause): --by, else the login name. */
export function requester(by?: string): string {
  const name = (by ?? safeUsername()).trim();
  if (!name || name.length > 100) throw new CliError('--by: give a name of 1 to 100 characters', ExitCode.usage);
  return name;
}

function safeUsername(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** A reason people will read later in the history: required, one line, bounded. */
export function reasonText(text: string | undefined, flag = '--reason'): string {
  const reason = (text ?? '').trim();
  if (!reason) throw new CliError(`${flag}: say why (it is recorded in the workflow and shown in history)`, ExitCode.usage);
  if (reason.length > 500 || /[\r\n]/.test(reason)) throw new CliError(`${flag}: one line of at most 500 characters`, ExitCode.usage);
  return reason;
}

export function minutesOption(text: string, flag = '--timeout'): number {
  const minutes = Number(text);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new CliError(`${flag}: "${text}" is not a positive number of minutes`, ExitCode.usage);
  return minutes;
}

/** The text of a FILE argument (`-` for stdin), read before connecting: an unreadable one is bad input, named. */
export function fileArgument(file: string): string {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`${file === '-' ? 'stdin' : file}: ${code === 'ENOENT' ? 'not found' : `cannot read (${code ?? (err as Error).message})`}`, ExitCode.usage);
  }
}

/**
 * A digest as on-call types it: the full `sha256:<64 hex>`, or a prefix of
 * at least 7 hex digits (as `status` and `history` print them). Checked
 * before connecting; a prefix is matched later, against what the image
 * published (resolveDigest).
 */
export function digestArgument(text: string): string {
  if (FULL_DIGEST.test(text)) return text;
  const hex = text.replace(/^sha256:/, '');
  if (!/^[0-9a-f]{7,63}$/.test(hex)) throw new CliError(`"${text}" is not a digest: use sha256:<64 hex digits> or at least 7 leading hex digits`, ExitCode.usage);
  return `sha256:${hex}`;
}

/** The one candidate a short digest names; a full digest as is (whether it was published is the workflow's call). */
export function resolveDigest(digest: string, candidates: string[]): string {
  if (FULL_DIGEST.test(digest)) return digest;
  const matches = [...new Set(candidates.filter((d) => d.startsWith(digest)))];
  if (matches.length === 1) return matches[0] as string;
  const hex = digest.replace(/^sha256:/, '');
  if (matches.length === 0) throw new CliError(`no digest this image published starts with ${hex} (tempered history lists them)`, ExitCode.usage);
  throw new CliError(`${hex} is ambiguous: ${matches.join(', ')}`, ExitCode.usage);
}
