/**
 * `weft bench`: the benchmark (bench/ in the repository; `npm run bench` runs this same command).
 * weft and its peers graphile-worker, pg-boss and DBOS on one PostgreSQL — embedded by default,
 * the configured database's server otherwise — every workload verified; a table on stdout and
 * JSON under bench/results/. See docs/performance.md.
 *
 * The benchmark lives outside src/ (it needs the peers, which are dev dependencies), so it is
 * loaded from the checkout at run time; an installed package without bench/ says so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { WeftError } from '../../db/errors.js';
import { packageRoot } from '../../db/paths.js';
import { openRuntime, type GlobalOptions } from '../runtime.js';

/** The flags of `weft bench`, as given. */
export interface BenchCliArgs {
  quick?: boolean;
  only?: string;
  systems?: string;
  configs?: string;
  runs?: string;
  weftMode?: string;
  out?: string;
  keep?: boolean;
  prefix?: string;
}

interface BenchModule {
  benchFromCli(args: BenchCliArgs, databaseUrl: string | undefined, log: (line: string) => void, command: string, signal: AbortSignal): Promise<{ failed: string[] }>;
}

/** Adds `weft bench` to the program. */
export function registerBench(program: Command): Command {
  return program
    .command('bench')
    .description('run the benchmark: weft against graphile-worker, pg-boss and DBOS, every run verified')
    .option('--quick', 'small sizes: check the correctness of every workload (CI; no timing assertions)')
    .option('--only <workloads>', 'comma-separated subset of W1,W2,W3,W4,W5,scale,memory,soak')
    .option('--systems <systems>', 'comma-separated subset of weft,graphile-worker,pg-boss,dbos')
    .option('--configs <configs>', 'peer configurations: default,tuned (default both)')
    .option('--runs <n>', 'repetitions of the headline workloads W1, W3, W4 (full mode; default 1)')
    .option('--weft-mode <mode>', 'weft processes: processes or in-process (default: processes; in-process with --quick)')
    .option('--out <dir>', 'folder for the JSON and Markdown results (default bench/results)')
    .option('--keep', 'keep the benchmark databases afterwards')
    .option('--prefix <name>', 'prefix of the databases created (default weft_bench)')
    .action(async (args: BenchCliArgs, command: Command) => {
      const rt = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { role: 'bench' });
      try {
        const entry = join(packageRoot, 'bench', 'run.ts');
        if (!existsSync(entry)) {
          throw new WeftError('weft bench runs from a checkout of the weft repository (bench/ and its dev dependencies); this installation has no bench/.');
        }
        if (import.meta.url.endsWith('.js')) {
          // Compiled build: bench/ is TypeScript, so load it through tsx.
          const { register } = await import('tsx/esm/api');
          register();
        }
        const bench = (await import(pathToFileURL(entry).href)) as BenchModule;
        const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
        const flags = Object.entries(args)
          .filter(([, v]) => v !== undefined && v !== false)
          .map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}${v === true ? '' : ` ${String(v)}`}`);
        const command = ['weft bench', ...flags].join(' ');
        const { failed } = await bench.benchFromCli(args, rt.config.database.url, log, command, rt.signal);
        if (failed.length > 0) {
          throw new WeftError(`The benchmark finished, but ${failed.length} measurement(s) failed verification or errored: ${failed.slice(0, 5).join('; ')}.`);
        }
      } finally {
        await rt.close();
      }
    });
}
