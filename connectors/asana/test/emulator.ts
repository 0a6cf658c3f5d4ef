import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestProblems, responseProblems } from './oas.js';

/**
 * A local Asana API (the paths, `{ data }` envelopes, `next_page` offsets and `{ errors: [{ message }] }`
 * bodies of Asana's OpenAPI description) for projects and tasks, with failure modes. Every request body
 * and every answer is checked against the description; what did not validate is kept in `problems`.
 */
export interface AsanaEmulator {
  url: string;
  projects: Map<string, Record<string, unknown>>;
  tasks: Map<string, Record<string, unknown>>;
  received: Array<{ method: string; path: string; body?: unknown }>;
  /** Request or response bodies that do not validate against the description (should stay empty). */
  problems: string[];
  /** The next `n` requests are answered 500 (or 429 with Retry-After). */
  failNext(n: number, status?: 500 | 429): void;
  /** A person completes the task in Asana. */
  complete(taskGid: string, at?: string): void;
  close(): Promise<void>;
}

const HELP = 'For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors';

async function read(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined;
}

export async function startAsanaEmulator(options: { token: string; workspace: string; team: string }): Promise<AsanaEmulator> {
  const projects = new Map<string, Record<string, unknown>>();
  const tasks = new Map<string, Record<string, unknown>>();
  const received: AsanaEmulator['received'] = [];
  const problems: string[] = [];
  let failures: { left: number; status: 500 | 429 } = { left: 0, status: 500 };
  let next = 1_200_000_000_000_000;
  const gid = (): string => String((next += 1));
  const now = (): string => new Date().toISOString();
  const workspace = { gid: options.workspace, resource_type: 'workspace', name: 'Emulated workspace' };
  const team = { gid: options.team, resource_type: 'team', name: 'Emulated team' };
  let base = '';

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname.replace(/^\/api\/1\.0/, '');
      const method = (req.method ?? 'GET').toLowerCase();
      const body = await read(req).catch(() => null);
      received.push({ method: method.toUpperCase(), path: `${path}${url.search}`, ...(body === undefined ? {} : { body }) });
      // Which operation of the description this is, for the checks.
      const template = path.replace(/^\/projects\/[0-9]+$/, '/projects/{project_gid}').replace(/^\/tasks\/[0-9]+$/, '/tasks/{task_gid}').replace(/^\/users\/[^/]+$/, '/users/{user_gid}');
      const answer = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
        try {
          problems.push(...responseProblems(template, method, status, payload).map((p) => `response ${method} ${template} ${status}: ${p}`));
        } catch (error) {
          problems.push(`response ${method} ${template} ${status}: ${(error as Error).message}`);
        }
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(JSON.stringify(payload));
      };
      const error = (status: number, message: string, headers: Record<string, string> = {}): void => answer(status, { errors: [{ message, help: HELP, ...(status >= 500 ? { phrase: '6 sad squid snuggle softly' } : {}) }] }, headers);

      if (failures.left > 0) {
        failures.left -= 1;
        return failures.status === 429 ? error(429, 'You have made too many requests recently. Please, be chill.', { 'retry-after': '1' }) : error(500, 'Server Error');
      }
      if (req.headers.authorization !== `Bearer ${options.token}`) return error(401, 'Not Authorized');
      if (body !== undefined) {
        try {
          problems.push(...requestProblems(template, method, body).map((p) => `request ${method} ${template}: ${p}`));
        } catch (e) {
          problems.push(`request ${method} ${template}: ${(e as Error).message}`);
        }
      }
      const data = ((body ?? {}) as { data?: Record<string, unknown> }).data ?? {};
      const page = (all: Array<Record<string, unknown>>): void => {
        const limit = Number(url.searchParams.get('limit') ?? 0);
        if (url.searchParams.has('limit') && (!Number.isInteger(limit) || limit < 1 || limit > 100)) return error(400, 'limit: Must be between 1 and 100');
        const offset = Number(Buffer.from(url.searchParams.get('offset') ?? 'MA', 'base64url').toString('utf8'));
        if (!Number.isInteger(offset) || offset < 0) return error(400, 'offset: Your pagination token is invalid.');
        const size = limit || all.length;
        const rest = offset + size < all.length ? Buffer.from(String(offset + size)).toString('base64url') : null;
        const nextPage = rest ? { offset: rest, path: `${path}?limit=${size}&offset=${rest}`, uri: `${base}/api/1.0${path}?limit=${size}&offset=${rest}` } : null;
        answer(200, { data: all.slice(offset, offset + size), ...(url.searchParams.has('limit') ? { next_page: nextPage } : {}) });
      };

      if (method === 'get' && template === '/users/{user_gid}') return answer(200, { data: { gid: '1', resource_type: 'user', name: 'Emulated user', email: 'user@example.com', photo: null, workspaces: [workspace] } });
      if (template === '/projects') {
        if (method === 'post') {
          if (typeof data['name'] !== 'string' || data['workspace'] !== options.workspace) return error(400, 'workspace: Missing input');
          if (data['team'] !== options.team) return error(400, 'team: Not a recognized ID: ' + String(data['team']));
          const project = { gid: gid(), resource_type: 'project', name: data['name'], notes: data['notes'] ?? '', archived: false, completed: false, completed_at: null, due_on: data['due_on'] ?? null, start_on: data['start_on'] ?? null, created_at: now(), modified_at: now(), workspace, team, members: [], followers: [], custom_fields: [], custom_field_settings: [], public: false, color: 'light-green', permalink_url: '' };
          project.permalink_url = `https://app.asana.com/0/${project.gid}/${project.gid}`;
          projects.set(project.gid, project);
          return answer(201, { data: project });
        }
        const archived = url.searchParams.get('archived');
        return page([...projects.values()].filter((p) => (!url.searchParams.get('team') || (p['team'] as { gid: string }).gid === url.searchParams.get('team')) && (archived === null || String(p['archived']) === archived)).map((p) => ({ gid: p['gid'], resource_type: 'project', name: p['name'], ...(url.searchParams.get('opt_fields')?.includes('notes') ? { notes: p['notes'] } : {}) })));
      }
      if (template === '/projects/{project_gid}') {
        const project = projects.get(path.split('/')[2] ?? '');
        if (!project) return error(404, `project: Unknown object: ${path.split('/')[2]}`);
        if (method === 'put') Object.assign(project, data, { modified_at: now() });
        return answer(200, { data: project });
      }
      if (template === '/tasks') {
        if (method === 'post') {
          const inProjects = (data['projects'] as string[] | undefined) ?? [];
          const unknown = inProjects.find((p) => !projects.has(p));
          if (unknown) return error(400, `projects: [0]: Not a recognized ID: ${unknown}`);
          const task = { gid: gid(), resource_type: 'task', resource_subtype: 'default_task', name: data['name'] ?? '', notes: data['notes'] ?? '', completed: false, completed_at: null, due_on: data['due_on'] ?? null, created_at: now(), modified_at: now(), projects: inProjects.map((p) => ({ gid: p, resource_type: 'project', name: projects.get(p)?.['name'] })), workspace, memberships: [], tags: [], followers: [], custom_fields: [], dependencies: [], dependents: [], permalink_url: '' };
          task.permalink_url = `https://app.asana.com/0/0/${task.gid}`;
          tasks.set(task.gid, task);
          return answer(201, { data: task });
        }
        const project = url.searchParams.get('project');
        if (!project) return error(400, 'Must specify exactly one of project, tag, section, user task list, or assignee + workspace');
        if (!projects.has(project)) return error(404, `project: Unknown object: ${project}`);
        const since = url.searchParams.get('completed_since');
        const fields = (url.searchParams.get('opt_fields') ?? '').split(',');
        return page([...tasks.values()]
          .filter((t) => (t['projects'] as Array<{ gid: string }>).some((p) => p.gid === project) && (!since || !t['completed'] || String(t['completed_at']) >= since))
          .map((t) => ({ gid: t['gid'], resource_type: 'task', name: t['name'], resource_subtype: t['resource_subtype'], ...Object.fromEntries(fields.filter((f) => f in t && f !== 'name').map((f) => [f, t[f]])) })));
      }
      if (template === '/tasks/{task_gid}') {
        const task = tasks.get(path.split('/')[2] ?? '');
        if (!task) return error(404, `task: Unknown object: ${path.split('/')[2]}`);
        if (method === 'put') Object.assign(task, data, { modified_at: now(), ...(data['completed'] === true && !task['completed'] ? { completed_at: now() } : {}) });
        return answer(200, { data: task });
      }
      error(404, 'No matching route for request');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/api/1.0`,
    projects,
    tasks,
    received,
    problems,
    failNext: (n, status = 500) => void (failures = { left: n, status }),
    complete: (taskGid, at = now()) => {
      const task = tasks.get(taskGid);
      if (!task) throw new Error(`no task ${taskGid}`);
      Object.assign(task, { completed: true, completed_at: at, modified_at: at });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
