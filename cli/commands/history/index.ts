/**
 * `tempered history`: what happened to an image. `history IMAGE` (alias
 * `history show IMAGE`) lists the patch cycles; `history export` writes the
 * event histories; `history replay` checks them against this code.
 */
import type { Command } from 'commander';
import { registerHistoryExport } from './export';
import { registerHistoryReplay } from './replay';
import { registerHistoryShow } from './show';

export function registerHistory(program: Command): void {
  const history = program.command('history').description('patch cycles of an image; export and replay its workflow histories');
  registerHistoryShow(history);
  registerHistoryExport(history);
  registerHistoryReplay(history);
}
