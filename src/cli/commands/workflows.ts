/**
 * `weft workflows apply <file|dir>`, `weft workflows list`, `weft workflows show <namespace/name> [--workflow-version v]`.
 */
import type { Command } from 'commander';
import type { Sql } from '../../db/connection.js';
import { ConfigError, WeftError } from '../../db/errors.js';
import { registerWorkflow } from '../../db/weft-api.js';
import { loadWorkflowFiles } from '../../workflows/definition.js';
import { openRuntime, type GlobalOptions } from '../runtime.js';

export function registerWorkflows(program: Command): Command {
  const cmd = program.command('workflows').description('apply, list and show workflow definitions');
  cmd
    .command('apply')
    .description('register the workflow definitions of a YAML/JSON file or folder, all or none (idempotent per version)')
    .argument('<path>', 'file or folder')
    .action(async (path: string, _o: unknown, command: Command) => {
      const files = loadWorkflowFiles(path);
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'cli' });
      try {
        // One transaction: a folder with one invalid file registers none of its files.
        const applied = await rt.sql.begin(async (tx) => {
          const lines: string[] = [];
          for (const file of files) {
            const d = file.definition;
            try {
              const id = await registerWorkflow(tx as unknown as Sql, d);
              lines.push(`applied ${d.namespace}/${d.name}@${d.version} (${id}) from ${file.path}\n`);
            } catch (err) {
              throw new WeftError(`${file.path}: ${(err as Error).message}`, { cause: err });
            }
          }
          return lines;
        });
        for (const line of applied) process.stdout.write(line);
      } finally {
        await rt.close();
      }
    });
  cmd
    .command('list')
    .description('list registered workflows')
    .option('--namespace <name>', 'only this namespace')
    .action(async (o: { namespace?: string }, command: Command) => {
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'cli' });
      try {
        const rows = await rt.sql<{ namespace: string; name: string; version: string; steps: number; created_at: Date }[]>`
          select w.namespace, w.name, w.version, (select count(*)::int from weft.workflow_steps s where s.workflow_id = w.workflow_id) as steps, w.created_at
          from weft.workflows w where (${o.namespace ?? null}::text is null or w.namespace = ${o.namespace ?? null})
          order by w.namespace, w.name, w.created_at`;
        if (rows.length === 0) process.stdout.write('no workflows registered\n');
        for (const r of rows) process.stdout.write(`${r.namespace}/${r.name}@${r.version}  ${r.steps} steps  ${r.created_at.toISOString()}\n`);
      } finally {
        await rt.close();
      }
    });
  cmd
    .command('show')
    .description('show a workflow: its steps by topological level')
    .argument('<ref>', 'namespace/name')
    // not --version: the program's own --version is recognised after the subcommand too and would win
    .option('--workflow-version <v>', 'version (default: latest)')
    .action(async (ref: string, o: { workflowVersion?: string }, command: Command) => {
      const version = o.workflowVersion;
      const [namespace, name] = ref.split('/');
      if (!namespace || !name) throw new ConfigError(`Expected namespace/name, got ${JSON.stringify(ref)}.`);
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, schema: 'current', role: 'cli' });
      try {
        const [w] = await rt.sql<{ workflow_id: string; version: string }[]>`
          select workflow_id, version from weft.workflows where namespace = ${namespace} and name = ${name}
            and (${version ?? null}::text is null or version = ${version ?? null})
          order by created_at desc limit 1`;
        if (!w) throw new WeftError(`No workflow ${ref}${version ? ` version ${version}` : ''}.`);
        const steps = await rt.sql<{ step_name: string; level: number; handler: string; parents: string[] }[]>`
          select l.step_name, l.level, s.handler,
                 coalesce((select array_agg(e.parent order by e.parent) from weft.workflow_edges e where e.workflow_id = l.workflow_id and e.child = l.step_name), '{}') as parents
          from weft.workflow_step_levels l join weft.workflow_steps s on s.workflow_id = l.workflow_id and s.name = l.step_name
          where l.workflow_id = ${w.workflow_id} order by l.level, s.position`;
        process.stdout.write(`${namespace}/${name}@${w.version}\n`);
        for (const s of steps) {
          process.stdout.write(`  L${s.level}  ${s.step_name} [${s.handler}]${s.parents.length ? ` after ${s.parents.join(', ')}` : ''}\n`);
        }
      } finally {
        await rt.close();
      }
    });
  return cmd;
}
