/**
 * Creating or updating tempered's own Schedules (retention, mirror): one
 * workflow per tick, overlap SKIP, and an operator's pause left alone when
 * `tempered up` (or the command that owns it) runs again.
 */
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';

export async function ensureSchedule<W extends Workflow>(client: Client, scheduleId: string, everyMs: number, action: ScheduleOptionsStartWorkflowAction<W>): Promise<'created' | 'updated'> {
  const spec = { intervals: [{ every: everyMs }] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: everyMs, pauseOnFailure: false };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({ spec, action, policies, state: previous.state }));
  return 'updated';
}
