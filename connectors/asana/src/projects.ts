import type { Event, Milestone, Project } from '@uah/connector-sdk';
import { all, asana, data, marker, type AsanaContext, type AsanaProject, type AsanaTask } from './api.js';
import { serialized } from './lock.js';

const PENDING = (id: string): string => `pending.${id}`;

/**
 * Makes the Asana record of one of ours exactly once. The mapping says it exists; a `pending` note in the
 * state says an earlier attempt may have made it without linking it (it stopped between the two), and
 * then the record is looked for by the marker in its notes before another is made.
 */
async function once<T extends { gid: string; notes?: string }>(ctx: AsanaContext, type: string, id: string, find: () => AsyncGenerator<T>, make: () => Promise<T>): Promise<string> {
  const known = await ctx.mappings.externalIdOf(type, id);
  if (known) return known;
  if (await ctx.syncState.get(PENDING(id))) {
    for await (const record of find()) {
      if (record.notes?.includes(marker(id))) {
        await ctx.mappings.link(type, id, record.gid);
        await ctx.syncState.delete(PENDING(id));
        return record.gid;
      }
    }
  }
  await ctx.syncState.set(PENDING(id), true);
  const made = await make();
  await ctx.mappings.link(type, id, made.gid);
  await ctx.syncState.delete(PENDING(id));
  return made.gid;
}

/** The Asana project of one of our projects, made (with its customer and due date) if it has none. */
export async function ensureProject(ctx: AsanaContext, project: Project): Promise<string> {
  const api = asana(ctx);
  return once<AsanaProject>(ctx, 'project', project.id, () => all<AsanaProject>(api.projects.getProjects({ workspace: ctx.config.workspace, team: ctx.config.team, archived: false, opt_fields: 'name,notes', limit: 100 })), async () => {
    const customer = await ctx.entities.customers.get(project.customerId);
    const notes = [`Customer: ${customer?.displayName ?? project.customerId}`, project.description ?? '', marker(project.id)].filter(Boolean).join('\n\n');
    return data<AsanaProject>(api.projects.createProject({
      data: {
        name: project.name, notes, workspace: ctx.config.workspace, team: ctx.config.team,
        ...(project.endDate ? { due_on: project.endDate } : {}), ...(project.startDate && project.endDate ? { start_on: project.startDate } : {}),
      },
    }));
  });
}

/** The task of a milestone, in its project's Asana project (made first if needed). */
export async function ensureTask(ctx: AsanaContext, milestone: Milestone): Promise<string> {
  const known = await ctx.mappings.externalIdOf('milestone', milestone.id);
  if (known) return known;
  const project = await ctx.entities.projects.get(milestone.projectId);
  if (!project) throw new Error(`project ${milestone.projectId} of milestone ${milestone.id} not found`);
  const projectGid = await ensureProject(ctx, project);
  const api = asana(ctx);
  return once<AsanaTask>(ctx, 'milestone', milestone.id, () => all<AsanaTask>(api.tasks.getTasks({ project: projectGid, opt_fields: 'name,notes', limit: 100 })), () =>
    data<AsanaTask>(api.tasks.createTask({
      data: {
        name: milestone.name, notes: `Milestone of ${milestone.amount / 100} ${milestone.currency}\n\n${marker(milestone.id)}`,
        projects: [projectGid], workspace: ctx.config.workspace, ...(milestone.dueDate ? { due_on: milestone.dueDate } : {}),
      },
    })));
}

/** Every milestone of a project, each a task. */
async function ensureMilestones(ctx: AsanaContext, projectId: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await ctx.entities.projects.listMilestones(projectId, { limit: 100, ...(cursor ? { cursor } : {}) });
    for (const milestone of page.data) await ensureTask(ctx, milestone);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

type Handler = (ctx: AsanaContext, object: Record<string, unknown>) => Promise<void>;

const archive: Handler = async (ctx, object) => {
  const gid = await ctx.mappings.externalIdOf('project', String(object['id']));
  if (gid) await asana(ctx).projects.updateProject({ data: { archived: true } }, gid);
};

/** What each domain event does in Asana; every one of them is safe to receive twice. */
const HANDLERS: Record<string, Handler> = {
  'project.created': async (ctx, object) => {
    await ensureProject(ctx, object as unknown as Project);
    await ensureMilestones(ctx, String(object['id']));
  },
  'milestone.created': async (ctx, object) => void (await ensureTask(ctx, object as unknown as Milestone)),
  'milestone.completed': async (ctx, object) => {
    const gid = await ensureTask(ctx, object as unknown as Milestone);
    const { tasks } = asana(ctx);
    const task = await data<AsanaTask>(tasks.getTask(gid, { opt_fields: 'completed' }));
    if (!task.completed) await tasks.updateTask({ data: { completed: true } }, gid);
  },
  'project.completed': archive,
  'project.cancelled': archive,
};

/** Events of one project are handled one after the other (see {@link serialized}); those of different projects side by side. */
export async function onProjectEvent(ctx: AsanaContext, event: Event): Promise<void> {
  const handler = Object.hasOwn(HANDLERS, event.type) ? HANDLERS[event.type] : undefined;
  if (!handler) return;
  const object = (event.data as { object: Record<string, unknown> }).object;
  const projectId = String(event.type.startsWith('milestone.') ? object['projectId'] : object['id']);
  await serialized(`${ctx.organizationId}:${projectId}`, () => handler(ctx, object));
}
