/** Locations of the files weft ships beside its code (SQL, migrations, config, schemas). */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The package root: works from src/ (tsx) and from dist/ (built). */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sqlDir = join(packageRoot, 'sql');
export const migrationsDir = join(packageRoot, 'migrations');
export const configDir = join(packageRoot, 'config');
