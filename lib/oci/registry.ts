/**
 * A small OCI distribution-spec client: blobs, manifests, tags.
 *
 * Hand-written because the npm clients we looked at either only push, only
 * pull, or break against an unauthenticated registry (@sigstore/oci 0.6 with
 * credentials). It speaks plain HTTP(S) with Basic auth (htpasswd registries)
 * and the Bearer token flow (Docker Hub style). It never logs credentials and
 * never retries on its own: retries belong to the Temporal activity, where
 * they are visible.
 */
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import type { RegistryCredentials } from '../../domain/config';
import { sha256Digest } from '../../domain/digest';
import { MANIFEST_ACCEPT } from '../../domain/oci/mediaTypes';
import { TemperedError } from '../../domain/errors';

export type RegistryErrorCode = 'REGISTRY_UNREACHABLE' | 'REGISTRY_UNAUTHORIZED' | 'REGISTRY_NOT_FOUND' | 'REGISTRY_PROTOCOL' | 'REGISTRY_DIGEST_MISMATCH';

export class RegistryError extends TemperedError<RegistryErrorCode> {
  constructor(
    code: RegistryErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(code, message);
  }
  /** Worth retrying: the registry was down, overloaded, or answered 5xx. */
  get transient(): boolean {
    return this.code === 'REGISTRY_UNREACHABLE' || (this.status !== undefined && this.status >= 500) || this.status === 429;
  }
}

export interface RegistryOptions {
  host: string;
  scheme: 'http' | 'https';
  credentials?: RegistryCredentials;
  /** Hosts (`host[:port]`) besides the registry's own that may issue it Bearer tokens (a separate token service). */
  tokenHosts?: readonly string[];
  timeoutMs?: number;
}

const isLoopback = (hostname: string) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(hostname);

/**
 * Why a Bearer challenge's token realm may not be asked (it would get the
 * credentials), or undefined: only the registry's own host or a configured
 * token host, over http(s), and never plain http off loopback with credentials.
 */
export function realmRefusal(registryHost: string, tokenHosts: readonly string[], realm: string, withCredentials: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    return `${registryHost} names a token realm that is not a URL: ${realm.slice(0, 100)}`;
  }
  if (![registryHost, ...tokenHosts].includes(url.host) || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    return `refusing the token realm ${url.origin}: it is not the registry ${registryHost} (a separate token service must be configured: TEMPERED_REGISTRY_TOKEN_HOSTS)`;
  }
  if (url.protocol === 'http:' && withCredentials && !isLoopback(url.hostname)) {
    return `refusing the token realm ${url.origin}: tempered never sends credentials over plain http to ${url.hostname}, which is not loopback`;
  }
  return undefined;
}

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

type BlobBody = Buffer | { path: string; size: number };

export class RegistryClient {
  private bearer = new Map<string, string>();
  constructor(private readonly options: RegistryOptions) {}

  get host(): string {
    return this.options.host;
  }

  async ping(): Promise<void> {
    await consumed(await this.request('GET', '/v2/', {}, { allow: [200] }));
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, {}, { allow: [200, 404] });
    return res.status === 200;
  }

  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const res = await this.request('GET', `/v2/${repository}/blobs/${digest}`, {}, { allow: [200] });
    const body = Buffer.from(await res.arrayBuffer());
    if (sha256Digest(body) !== digest) throw new RegistryError('REGISTRY_DIGEST_MISMATCH', `blob ${digest} from ${repository} does not match its digest`);
    return body;
  }

  /** Streams a blob to a file (for layers); the caller verifies the digest while writing. */
  async getBlobStream(repository: string, digest: string): Promise<Readable> {
    const res = await this.request('GET', `/v2/${repository}/blobs/${digest}`, {}, { allow: [200] });
    if (!res.body) throw new RegistryError('REGISTRY_PROTOCOL', `empty body for blob ${digest}`);
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  }

  /**
   * Uploads a blob unless the registry already has it (monolithic upload: POST then PUT). `fresh`: content
   * made just now (an envelope holding a new signature), which asking for first would only cost a request;
   * uploading a blob the registry has is harmless.
   */
  async pushBlob(repository: string, digest: string, body: BlobBody, options: { fresh?: boolean } = {}): Promise<'uploaded' | 'exists'> {
    if (!options.fresh && (await this.hasBlob(repository, digest))) return 'exists';
    const start = await consumed(await this.request('POST', `/v2/${repository}/blobs/uploads/`, {}, { allow: [202] }));
    const location = start.headers.get('location');
    if (!location) throw new RegistryError('REGISTRY_PROTOCOL', `registry gave no upload location for ${repository}`);
    const url = new URL(location, this.baseUrl());
    url.searchParams.set('digest', digest);
    const size = Buffer.isBuffer(body) ? body.length : body.size;
    const payload = Buffer.isBuffer(body) ? body : (Readable.toWeb(fs.createReadStream(body.path)) as ReadableStream);
    await consumed(await this.request('PUT', url.pathname + url.search, { 'content-type': 'application/octet-stream', 'content-length': String(size) }, { allow: [201], body: payload }));
    return 'uploaded';
  }

  async getManifest(repository: string, reference: string): Promise<FetchedManifest | undefined> {
    const res = await this.request('GET', `/v2/${repository}/manifests/${reference}`, { accept: MANIFEST_ACCEPT }, { allow: [200, 404] });
    if (res.status === 404) return void (await consumed(res));
    const body = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(body);
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw new RegistryError('REGISTRY_DIGEST_MISMATCH', `manifest ${reference} in ${repository} does not match its digest`);
    }
    return { digest, mediaType: res.headers.get('content-type') ?? '', body };
  }

  /** The digest a tag or digest resolves to, or undefined when absent. */
  async resolve(repository: string, reference: string): Promise<string | undefined> {
    const res = await this.request('HEAD', `/v2/${repository}/manifests/${reference}`, { accept: MANIFEST_ACCEPT }, { allow: [200, 404] });
    if (res.status === 404) return undefined;
    const digest = res.headers.get('docker-content-digest');
    if (digest) return digest;
    return (await this.getManifest(repository, reference))?.digest;
  }

  async putManifest(repository: string, reference: string, body: Buffer | string, mediaType: string): Promise<string> {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    await consumed(await this.request('PUT', `/v2/${repository}/manifests/${reference}`, { 'content-type': mediaType }, { allow: [201], body: bytes }));
    return sha256Digest(bytes);
  }

  async deleteManifest(repository: string, digest: string): Promise<void> {
    await consumed(await this.request('DELETE', `/v2/${repository}/manifests/${digest}`, {}, { allow: [202, 404] }));
  }

  async listTags(repository: string): Promise<string[]> {
    const res = await this.request('GET', `/v2/${repository}/tags/list`, {}, { allow: [200, 404] });
    if (res.status === 404) return (await consumed(res), []);
    const json = (await res.json()) as { tags?: string[] | null };
    return json.tags ?? [];
  }

  private baseUrl(): string {
    return `${this.options.scheme}://${this.options.host}`;
  }

  private async request(
    method: string,
    pathAndQuery: string,
    headers: Record<string, string>,
    opts: { allow: number[]; body?: Buffer | ReadableStream },
  ): Promise<Response> {
    const url = this.baseUrl() + pathAndQuery;
    const scope = repositoryScope(pathAndQuery, method);
    let res = await this.send(method, url, headers, opts.body, scope);
    if (res.status === 401 && !(opts.body instanceof ReadableStream)) {
      await this.authenticate(res, scope);
      res = await this.send(method, url, headers, opts.body, scope);
    }
    if (opts.allow.includes(res.status)) return res;
    const detail = await res.text().catch(() => '');
    const where = `${method} ${this.options.host}${pathAndQuery.split('?')[0]}`;
    if (res.status === 401 || res.status === 403) throw new RegistryError('REGISTRY_UNAUTHORIZED', `${where}: ${res.status} unauthorized (check the registry credentials)`, res.status);
    if (res.status === 404) throw new RegistryError('REGISTRY_NOT_FOUND', `${where}: not found`, 404);
    throw new RegistryError('REGISTRY_PROTOCOL', `${where}: HTTP ${res.status} ${detail.slice(0, 300)}`, res.status);
  }

  private async send(method: string, url: string, headers: Record<string, string>, body: Buffer | ReadableStream | undefined, scope: string): Promise<Response> {
    const auth = this.authorization(scope);
    try {
      return await fetch(url, {
        method,
        headers: { ...headers, ...(auth ? { authorization: auth } : {}) },
        body,
        redirect: 'follow',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 120_000),
        ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new RegistryError('REGISTRY_UNREACHABLE', `${method} ${url.split('?')[0]}: registry unreachable (${cause})`);
    }
  }

  private authorization(scope: string): string | undefined {
    const token = this.bearer.get(scope);
    if (token) return `Bearer ${token}`;
    const c = this.options.credentials;
    if (!c) return undefined;
    if (this.options.scheme === 'http' && !isLoopback(this.options.host.replace(/:\d+$/, ''))) {
      throw new RegistryError('REGISTRY_UNAUTHORIZED', `tempered never sends credentials over plain http to ${this.options.host}, which is not loopback: use https (TEMPERED_REGISTRY_SCHEME)`);
    }
    return 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64');
  }

  /**
   * Bearer token flow (distribution token spec); Basic needs nothing beyond
   * the header already sent. The realm is whatever URL the 401 names, so it
   * is trusted only on the registry's own host or a configured token host,
   * and never gets credentials over plain http off loopback.
   */
  private async authenticate(challenge: Response, scope: string): Promise<void> {
    const header = challenge.headers.get('www-authenticate') ?? '';
    if (!/^Bearer /i.test(header)) return;
    const params = Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!params.realm) return;
    const refused = realmRefusal(this.options.host, this.options.tokenHosts ?? [], params.realm, !!this.options.credentials);
    if (refused) throw new RegistryError('REGISTRY_UNAUTHORIZED', refused);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? scope);
    const c = this.options.credentials;
    const res = await fetch(url, { headers: c ? { authorization: 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64') } : {} });
    if (!res.ok) throw new RegistryError('REGISTRY_UNAUTHORIZED', `token request to ${url.host} failed: ${res.status}`, res.status);
    const json = (await res.json()) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (token) this.bearer.set(scope, token);
  }
}

/**
 * Reads a response body nobody needs to its end. fetch (undici) returns a
 * keep-alive connection to its pool only once the body is consumed; left
 * alone, every such request costs a new TCP connection, on both sides.
 */
async function consumed(res: Response): Promise<Response> {
  await res.arrayBuffer().catch(() => undefined);
  return res;
}

function repositoryScope(pathAndQuery: string, method: string): string {
  const match = /^\/v2\/(.+?)\/(blobs|manifests|tags)\//.exec(pathAndQuery);
  if (!match) return 'registry:catalog:*';
  const action = method === 'GET' || method === 'HEAD' ? 'pull' : 'pull,push';
  return `repository:${match[1]}:${action}`;
}
