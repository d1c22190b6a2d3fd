/**
 * A runtime image's layers, from its tree: grouped by origin
 * (domain/rootfs/layering.ts), split (domain/rootfs/partition.ts), and each
 * written only when no earlier build wrote the same layer. A layer's key
 * names everything its bytes are made of: every entry's metadata and the
 * identity of its bytes (package sha256 and entry name, or a hash of what
 * the builder wrote), plus the interpreter when the layer's Python is
 * compiled. An unchanged layer is taken from the store by digest, never
 * recomputed: a one-package patch writes that package's layer and the small
 * top layer, nothing else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalJson, sha256Digest } from '../../domain/digest';
import { groupByOrigin } from '../../domain/rootfs/layering';
import { checkRuntimeContent, RUNTIME_POLICY_VERSION } from '../../domain/rootfs/runtimePolicy';
import { type LayerContent, partition } from '../../domain/rootfs/partition';
import type { Layering } from '../../domain/catalog/definition';
import type { Progress } from '../progress';
import type { BlobStore } from '../oci/blobStore';
import { writeFileAtomicSync } from '../state/files';
import type { SandboxAccount } from '../sandbox/account';
import { compileBytecode, isCompiledSource } from './bytecode';
import { type Layer, writeLayer } from './layerWriter';
import { installedSize, type BuildPackage } from './packages';
import type { RuntimeTree } from './runtimeTree';

/** Bump when the same entries would be written as other bytes (tar format, compression). */
const LAYER_FORMAT = 1;

export interface LayerBuildContext {
  store: BlobStore;
  /** Layer records (key -> layer), beside the blob store. */
  recordsDir: string;
  sandbox: () => SandboxAccount;
  sourceDateEpoch: number;
  progress: Progress;
}

export interface BuiltLayer extends Layer {
  packages: string[];
  /** Reused from an earlier build (by key), or written now. */
  reused: boolean;
}

export function layerGroups(packages: readonly BuildPackage[], layering: Layering): string[][] {
  const names = packages.map((p) => p.locked.name).sort();
  if (layering.strategy === 'single') return [names];
  const layered = packages.map((p) => ({ name: p.locked.name, source: p.locked.source, installedSize: installedSize(p), replaces: p.replaces.map((r) => r.name) }));
  return groupByOrigin(layered, layering.budget).map((g) => g.packages);
}

export async function buildRuntimeLayers(rt: RuntimeTree, packages: readonly BuildPackage[], layering: Layering, ctx: LayerBuildContext): Promise<BuiltLayer[]> {
  const groups = layerGroups(packages, layering);
  const single = layering.strategy === 'single';
  let plans = partition(rt.tree, groups, { single });
  const needsBytecode = (plan: LayerContent) => rt.interpreters.length > 0 && plan.entries.some((n) => n.type === 'file' && isCompiledSource(rt.tree, rt.interpreters, n.path));
  const interpreter = interpreterIdentity(rt);
  const keys = plans.map((plan) =>
    sha256Digest(canonicalJson({
      format: LAYER_FORMAT,
      policy: RUNTIME_POLICY_VERSION,
      entries: plan.entries.map((n) => [n.path, n.type, n.mode, n.uid, n.gid, n.mtime, n.content?.kind === 'derived' ? 0 : n.size, n.linkname ?? '', rt.content.identity(n)]),
      bytecode: needsBytecode(plan) ? interpreter : null,
    })),
  );
  const known = keys.map((key) => readRecord(ctx, key));
  const missing = plans.map((_, i) => i).filter((i) => !known[i]);
  ctx.progress(`${plans.length} layers: ${plans.length - missing.length} unchanged, ${missing.length} to write`);
  if (missing.some((i) => needsBytecode(plans[i] as LayerContent))) {
    ctx.progress(`compiling Python bytecode (${rt.interpreters.join(', ')}) in the sandbox`);
    await compileBytecode(rt.tree, rt.content, rt.interpreters, { account: ctx.sandbox(), sourceDateEpoch: ctx.sourceDateEpoch });
    // The bytecode joined its sources' layers; grouping is by package, so layer i is still layer i.
    plans = partition(rt.tree, groups, { single });
  }
  const layers: BuiltLayer[] = [];
  for (const [i, plan] of plans.entries()) {
    const record = known[i];
    if (record) {
      layers.push({ ...record, packages: plan.packages, reused: true });
      continue;
    }
    ctx.progress(`writing layer ${i + 1}/${plans.length} (${plan.packages.length ? plan.packages.join(', ').slice(0, 120) : 'what the definition adds'})`);
    const files = plan.entries.filter((n) => n.type === 'file');
    await rt.content.load(files);
    // What every ELF file of the layer is: a reused layer passed this when it was written (the key names the policy version).
    for (const n of files) checkRuntimeContent(n, rt.content.bytes(n));
    const layer = await writeLayer(plan.entries, (n) => rt.content.bytes(n), ctx.store);
    writeFileAtomicSync(recordFile(ctx, keys[i] as string), JSON.stringify(layer));
    layers.push({ ...layer, packages: plan.packages, reused: false });
  }
  return layers;
}

/** What compiled the bytecode: the packages shipping each interpreter and its py_compile. */
function interpreterIdentity(rt: RuntimeTree): string[] {
  return rt.interpreters.flatMap((python) =>
    [`/usr/bin/${python}`, `/usr/lib/${python}/py_compile.py`].map((p) => {
      const node = rt.tree.get(p);
      return node ? `${p}=${rt.content.identity(node) || node.owner}` : `${p}=missing`;
    }),
  );
}

const recordFile = (ctx: LayerBuildContext, key: string) => path.join(ctx.recordsDir, `${key.slice('sha256:'.length)}.json`);

/** A layer record counts only while its blob is in the store. */
function readRecord(ctx: LayerBuildContext, key: string): Layer | undefined {
  try {
    const layer = JSON.parse(fs.readFileSync(recordFile(ctx, key), 'utf8')) as Layer;
    return ctx.store.has(layer.digest) ? layer : undefined;
  } catch {
    return undefined;
  }
}
