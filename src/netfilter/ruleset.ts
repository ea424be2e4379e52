import type { IpFamily } from './address';
import { Table } from './table';
import { SAVE_TABLE_ORDER, type TableName } from './types';

/**
 * The tables of one network namespace (one node). A table exists once
 * something created it (a chain line, a rule, a policy); it then always has
 * all its built-in chains, though with iptables-nft only those something
 * named exist in the kernel (see `Table.hasBaseChain`).
 *
 * Tables are replaced whole: a restore builds the next version of each table
 * it touches and `commit` swaps them in together, so a reader never sees
 * half a restore and can keep using the snapshot it holds. `version` grows
 * with every commit; caches built over a table can also compare the table
 * object itself.
 */
export class Ruleset {
  private readonly tableMap = new Map<TableName, Table>();
  /** The tables as an array, for per-packet questions (no iterator per packet). */
  private tableList: Table[] = [];
  private versionNumber = 0;

  /** iptables (ipv4) or ip6tables (ipv6): which addresses, matches and targets its rules may use. */
  constructor(readonly family: IpFamily = 'ipv4') {}

  get version(): number {
    return this.versionNumber;
  }

  table(name: TableName): Table | undefined {
    return this.tableMap.get(name);
  }

  hasTable(name: TableName): boolean {
    return this.tableMap.has(name);
  }

  /** Existing tables, in the order iptables-save prints them (mangle, security, raw, filter, nat). */
  tables(): Table[] {
    const out: Table[] = [];
    for (const name of SAVE_TABLE_ORDER) {
      const table = this.tableMap.get(name);
      if (table) out.push(table);
    }
    return out;
  }

  /**
   * Whether the kernel tracks connections in this namespace: some rule of
   * some table needs conntrack (conntrack-users.ts). When none does, no
   * packet has a connection and nat rules never run.
   */
  get tracksConnections(): boolean {
    const list = this.tableList;
    for (let i = 0; i < list.length; i++) if (list[i].usesConntrack) return true;
    return false;
  }

  /** The table, created empty (built-in chains, ACCEPT policies) if it does not exist. */
  ensureTable(name: TableName): Table {
    let table = this.tableMap.get(name);
    if (!table) {
      table = new Table(name);
      this.tableMap.set(name, table);
      this.tableList = [...this.tableMap.values()];
      this.versionNumber++;
    }
    return table;
  }

  /**
   * Installs new versions of tables in one step; `undefined` deletes a
   * table. Used by the restore adapter at the end of a successful restore.
   */
  commit(changes: ReadonlyMap<TableName, Table | undefined>): void {
    if (changes.size === 0) return;
    for (const [name, table] of changes) {
      if (table) this.tableMap.set(name, table);
      else this.tableMap.delete(name);
    }
    this.tableList = [...this.tableMap.values()];
    this.versionNumber++;
  }

  /** A copy-on-write copy of every table. */
  clone(): Ruleset {
    const copy = new Ruleset();
    for (const [name, table] of this.tableMap) copy.tableMap.set(name, table.clone());
    copy.tableList = [...copy.tableMap.values()];
    return copy;
  }
}
