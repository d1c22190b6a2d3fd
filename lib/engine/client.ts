/** The Docker engine the build and test activities use (Debian's dockerd on its unix socket). */
import Docker from 'dockerode';
import { loadConfig } from '../../domain/config';

let docker: Docker | undefined;
export function dockerClient(): Docker {
  docker ??= new Docker({ socketPath: loadConfig().dockerSocket });
  return docker;
}

/** True when the failure is the engine being away or restarting, which a retry can fix. */
export function isDockerUnavailable(err: unknown): boolean {
  const e = err as { code?: string; statusCode?: number; message?: string };
  return (
    e.code === 'ECONNREFUSED' || e.code === 'ENOENT' || e.code === 'ECONNRESET' || e.code === 'EPIPE' ||
    (e.statusCode !== undefined && e.statusCode >= 500 && /daemon|shutting down|restart/i.test(e.message ?? ''))
  );
}
