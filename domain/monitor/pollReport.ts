/** One line about a monitor poll, for the workflow's current details and `tempered monitor`. */
import type { PollReport } from '../../activities/types';

/** One line for the UI and the CLI: "3 image(s) signalled: 2 advisories, 1 fix arrived, 4 package updates; 1 problem". */
export function describePollReport(report: PollReport): string {
  const { advisories: a, upstream: u } = report;
  const parts = [
    `${a.sent} new advisor${a.sent === 1 ? 'y' : 'ies'}`,
    ...(a.nudged ? [`${a.nudged} fix(es) arrived`] : []),
    ...(a.retracted ? [`${a.retracted} retracted`] : []),
    `${u.sent} package update(s)`,
  ];
  const problems = report.problems ? `; ${report.problems} problem(s)${report.incomplete ? ', incomplete' : ''}` : '';
  return `${report.signalled.length} image(s) signalled: ${parts.join(', ')} (${report.images.checked} checked, ${a.remembered} already sent)${problems}`;
}
