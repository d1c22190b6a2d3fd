/**
 * Downloads a file whose SHA256 and size are known in advance (from a signed
 * Release or a Packages entry) and keeps it only if both match. The size is
 * enforced while streaming, so a hostile or broken mirror cannot fill the
 * disk by sending more than promised.
 */
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { ArchiveError } from './errors';
import { openedWriteStream, writeAtomically, type Digest } from './files';
import { openUrl, type TransportOptions } from './transport';

/** Streams `url` into `path` (atomically: temp file + rename) if it matches `expected`. */
export async function downloadVerified(
  url: string,
  path: string,
  expected: Digest,
  transport: TransportOptions = {},
): Promise<void> {
  await writeAtomically(path, async (tmpPath) => {
    // Opened first: the response body must not start flowing before the pipeline reads it.
    const sink = await openedWriteStream(tmpPath);
    let body;
    try {
      body = await openUrl(url, transport);
    } catch (error) {
      sink.destroy();
      throw error;
    }
    const hash = createHash('sha256');
    let size = 0;
    await pipeline(
      body,
      async function* (chunks: AsyncIterable<Uint8Array>) {
        for await (const chunk of chunks) {
          size += chunk.length;
          if (size > expected.size) {
            throw new ArchiveError('ARCHIVE_HASH_MISMATCH', url, `larger than the expected ${expected.size} bytes`);
          }
          hash.update(chunk);
          yield chunk;
        }
      },
      sink,
    );
    if (size !== expected.size) {
      throw new ArchiveError('ARCHIVE_HASH_MISMATCH', url, `size ${size} bytes, expected ${expected.size}`);
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== expected.sha256) {
      throw new ArchiveError('ARCHIVE_HASH_MISMATCH', url, `SHA256 ${sha256}, expected ${expected.sha256}`);
    }
  });
}
