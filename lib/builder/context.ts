/** The builder's context in a worker or the CLI: the state's stores and caches, the deb cache, the sandbox account. */
import type { ActivityContext } from '../context';
import { fetchDeb } from '../archive/fetch';
import type { Progress } from '../progress';
import { sandboxAccount } from '../sandbox/account';
import type { BuildContext } from './image';

export function buildContextOf(ctx: ActivityContext, progress: Progress): BuildContext {
  return {
    store: ctx.blobs,
    cacheDir: ctx.config.buildCache,
    fetchDeb: (p) => fetchDeb(p, ctx.config.debCache),
    sandbox: () => sandboxAccount(ctx.config.sandboxUser),
    progress,
  };
}
