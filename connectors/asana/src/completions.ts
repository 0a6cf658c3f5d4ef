import type { Project, SyncJob, SyncResult } from '@uah/connector-sdk';
import { all, asana, type AsanaContext, type AsanaTask } from './api.js';

const ACTIVE: Array<Project['status']> = ['STARTED', 'PAUSED'];

/**
 * Asana → books: for each active project linked to Asana, the tasks completed in Asana since the last run
 * complete their milestones here (on the day Asana completed them). A milestone already completed is left
 * alone, so running it again changes nothing.
 */
export async function pullCompletions(ctx: AsanaContext, job: SyncJob): Promise<SyncResult> {
  const result: SyncResult = { created: 0, updated: 0, skipped: 0, failed: 0 };
  const api = asana(ctx);
  const since = job.full ? undefined : (job.since ?? undefined);
  for (const status of ACTIVE) {
    let cursor: string | undefined;
    do {
      const page = await ctx.entities.projects.list({ status, limit: 100, ...(cursor ? { cursor } : {}) });
      for (const project of page.data) {
        const gid = await ctx.mappings.externalIdOf('project', project.id);
        if (!gid) continue;
        for await (const task of all<AsanaTask>(api.tasks.getTasks({ project: gid, opt_fields: 'name,completed,completed_at', limit: 100, ...(since ? { completed_since: since } : {}) }))) {
          const milestoneId = await ctx.mappings.internalIdOf('milestone', task.gid);
          if (!milestoneId) continue;
          if (!task.completed) {
            result.skipped += 1;
            continue;
          }
          try {
            const milestone = await ctx.entities.projects.getMilestone(milestoneId);
            if (!milestone || milestone.status !== 'PENDING') {
              result.skipped += 1;
              continue;
            }
            const date = (task.completed_at ?? new Date().toISOString()).slice(0, 10);
            await ctx.entities.projects.completeMilestone(milestoneId, { date: date < milestone.createdAt.slice(0, 10) ? milestone.createdAt.slice(0, 10) : date });
            result.updated += 1;
          } catch (error) {
            result.failed += 1;
            if ((result.errors ??= []).length < 20) result.errors.push({ externalId: task.gid, internalId: milestoneId, message: (error as Error).message });
          }
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  ctx.logger.info('completions pulled', { completed: result.updated, skipped: result.skipped, failed: result.failed });
  return result;
}
