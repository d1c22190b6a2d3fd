/**
 * Opens an archive URL (http, https or file) as a stream of bytes, with the
 * failures callers branch on already mapped to ArchiveError codes:
 * 404/410 -> ARCHIVE_MISSING_INDEX; refused, reset, timed out or 5xx ->
 * ARCHIVE_UNREACHABLE.
 *
 * Two timeouts, because one is not enough: a dead mirror must fail in
 * seconds, while a healthy one may take minutes to send a large index. So
 * the response headers have a deadline, and the body may stall at most
 * `idleTimeoutMs` between two chunks, however long it is.
 */
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ArchiveError } from './errors';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** Defaults to the global fetch. Tests pass a wrapper to count requests. */
  fetchImpl?: FetchLike;
  /** Deadline for the connection and the response headers. */
  responseTimeoutMs?: number;
  /** Longest pause allowed between two chunks of a response body. */
  idleTimeoutMs?: number;
}

const DEFAULT_RESPONSE_TIMEOUT_MS = 15_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

export type ByteStream = AsyncIterable<Uint8Array>;

export async function openUrl(url: string, options: TransportOptions = {}): Promise<ByteStream> {
  const protocol = new URL(url).protocol;
  if (protocol === 'file:') return openFile(url);
  if (protocol === 'http:' || protocol === 'https:') return openHttp(url, options);
  throw new ArchiveError('ARCHIVE_UNREACHABLE', url, `unsupported URL scheme ${protocol}`);
}

async function openFile(url: string): Promise<ByteStream> {
  try {
    const handle = await open(fileURLToPath(url), 'r');
    return handle.createReadStream();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ArchiveError('ARCHIVE_MISSING_INDEX', url, 'no such file');
    throw new ArchiveError('ARCHIVE_UNREACHABLE', url, `cannot open: ${(error as Error).message}`, { cause: error });
  }
}

async function openHttp(url: string, options: TransportOptions): Promise<ByteStream> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const responseTimeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(), responseTimeoutMs);
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: controller.signal, redirect: 'follow' });
  } catch (error) {
    const reason = controller.signal.aborted ? `no response within ${responseTimeoutMs} ms` : describeNetworkError(error);
    throw new ArchiveError('ARCHIVE_UNREACHABLE', url, reason, { cause: error });
  } finally {
    clearTimeout(deadline);
  }
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    throw new ArchiveError('ARCHIVE_MISSING_INDEX', url, `HTTP ${response.status}`);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new ArchiveError('ARCHIVE_UNREACHABLE', url, `HTTP ${response.status} ${response.statusText}`.trim());
  }
  return readBody(url, response.body, controller, options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
}

async function* readBody(
  url: string,
  body: ReadableStream<Uint8Array>,
  controller: AbortController,
  idleTimeoutMs: number,
): ByteStream {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const idle = setTimeout(() => controller.abort(), idleTimeoutMs);
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        const reason = controller.signal.aborted ? `stalled for ${idleTimeoutMs} ms` : describeNetworkError(error);
        throw new ArchiveError('ARCHIVE_UNREACHABLE', url, `download interrupted: ${reason}`, { cause: error });
      } finally {
        clearTimeout(idle);
      }
      if (chunk.done) {
        finished = true;
        return;
      }
      yield chunk.value;
    }
  } finally {
    // The consumer stopped early (a size limit, an error): free the connection.
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}

/**
 * undici reports "fetch failed" and hides the useful part (ECONNREFUSED,
 * ENOTFOUND...) in `cause`. Duck-typed: errors from another realm (jest's
 * sandbox) fail `instanceof Error`.
 */
function describeNetworkError(error: unknown): string {
  const { message, cause } = (error ?? {}) as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (typeof cause?.code === 'string') return `${cause.code}: ${String(cause.message)}`;
  if (typeof cause?.message === 'string') return cause.message;
  return typeof message === 'string' ? message : String(error);
}

/** Reads a whole (small) body, refusing more than `maxBytes` with the error `tooLarge` builds. */
export async function readAll(stream: ByteStream, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
