/**
 * Placeholders for the commands other parts of weft provide (see ./index.ts). A placeholder is
 * registered only while no real command of that name exists, so docker-compose.yml and the
 * docs can name `weft orchestrator`, `weft worker` and `weft api` before they are built; run
 * before then, it fails with one sentence.
 */
import type { Command } from 'commander';
import { WeftError } from '../../db/errors.js';

export interface PlannedCommand {
  name: string;
  description: string;
}

/** Adds a hidden placeholder for `planned` to the program. */
export function registerPlanned(program: Command, planned: PlannedCommand): Command {
  return program
    .command(planned.name, { hidden: true })
    .description(`${planned.description} (not in this build yet)`)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new WeftError(`\`weft ${planned.name}\` is not available in this build of weft yet.`);
    });
}
