/**
 * Login roles for tests of weft's least-privilege model. Roles belong to the whole server, so
 * each run makes its own names (`weft_tr_<time>_<random>_<label>`), drops them afterwards, and
 * drops what crashed runs left behind (older than STALE_AFTER_MS, best effort).
 *
 * @example
 *   const roles = new TestRoles(db);
 *   const worker = await roles.create('worker', ['weft_worker']);
 *   await db.sql`select weft.grant_namespace(${worker.name}, 'math')`;
 *   await worker.sql`select * from pgmq.read('math', 30, 1)`;
 *   await roles.dropAll();                     // in afterAll, before db.drop()
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { connect, type Sql } from '../../src/db/connection.js';
import type { TestDatabase } from './db.js';
import { adminUrl } from './db.js';
import { STALE_AFTER_MS } from './urls.js';

const ROLE_ROOT = 'weft_tr';

/** A login role made for a test, with a pool connected as it. */
export interface LoginRole {
  name: string;
  /** The test database's URL with this role as the user (trust authentication). */
  url: string;
  /** A pool connected as this role. */
  sql: Sql;
}

export class TestRoles {
  private readonly prefix = `${ROLE_ROOT}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}_`;
  /** One password for this run's roles: trust authentication ignores it, scram/md5 servers need it. */
  private readonly password = randomBytes(12).toString('hex');
  private readonly made: string[] = [];
  private readonly pools: Sql[] = [];

  constructor(private readonly db: TestDatabase) {}

  /** The full name a label gets in this run. */
  nameOf(label: string): string {
    return `${this.prefix}${label}`;
  }

  /**
   * Creates a role (LOGIN unless `login: false`) that is a member of `groups`, and for a login
   * role a pool connected as it.
   *
   * SQL: `create role <name> login password … [noinherit]; grant <group>, … to <name>`
   */
  async create(label: string, groups: string[] = [], options: { login?: boolean; inherit?: boolean; max?: number } = {}): Promise<LoginRole> {
    const name = this.nameOf(label);
    const login = options.login ?? true;
    await this.db.sql.unsafe(
      `create role "${name}" ${login ? `login password '${this.password}'` : 'nologin'} ${options.inherit === false ? 'noinherit' : ''}`,
    );
    this.made.push(name);
    if (groups.length > 0) await this.db.sql.unsafe(`grant ${groups.map((g) => `"${g}"`).join(', ')} to "${name}"`);
    const url = new URL(this.db.url);
    url.username = name;
    url.password = this.password;
    const role: LoginRole = { name, url: url.toString(), sql: undefined as unknown as Sql };
    if (login) role.sql = this.connect(role, options.max ?? 3);
    return role;
  }

  /** Another pool connected as `role` (closed by dropAll). */
  connect(role: { url: string }, max = 3): Sql {
    const sql = connect(role.url, { max, applicationName: 'weft-test-role' });
    this.pools.push(sql);
    return sql;
  }

  /**
   * Closes the pools, then in the test database revokes what the roles were given
   * (`drop owned by`) and drops them, with the stale roles of crashed runs.
   */
  async dropAll(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.end({ timeout: 5 })));
    if (this.made.length > 0) {
      const list = this.made.map((n) => `"${n}"`).join(', ');
      await this.db.sql.unsafe(`drop owned by ${list}`);
      await this.db.sql.unsafe(`drop role ${list}`);
    }
    await dropStaleRoles();
  }
}

/** Drops test roles of runs older than STALE_AFTER_MS; a role still used by a kept database stays. */
async function dropStaleRoles(): Promise<void> {
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => undefined });
  try {
    const rows = await admin<{ rolname: string }[]>`select rolname from pg_roles where rolname like ${ROLE_ROOT + '\\_%'}`;
    for (const { rolname } of rows) {
      const m = new RegExp(`^${ROLE_ROOT}_([0-9a-z]+)_`).exec(rolname);
      if (!m || Date.now() - Number.parseInt(m[1]!, 36) <= STALE_AFTER_MS) continue;
      await admin.unsafe(`drop role if exists "${rolname}"`).catch(() => undefined);
    }
  } finally {
    await admin.end();
  }
}
