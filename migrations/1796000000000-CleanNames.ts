import { MigrationInterface, QueryRunner } from 'typeorm';
import { searchText } from '../src/common/text';

/** The tables whose names people tell apart, the length of each name, and what a name must be unique within. */
const NAMED = [
  { table: 'targets', max: 100, sameName: (row: NamedRow) => row.name.toLowerCase() },
  { table: 'target_lists', max: 100, sameName: (row: NamedRow) => row.name },
  { table: 'data_product_groups', max: 200, scope: 'created_by_id', sameName: (row: NamedRow) => `${row.scope ?? ''}\u0000${row.name}` },
  { table: 'classrooms', max: 200, sameName: null },
] as const;

interface NamedRow {
  id: number;
  name: string;
  scope?: string | null;
}

/**
 * Names stored before the text rule (src/common/text.ts) came in are cleaned as new ones are: NFC, no invisible,
 * control or bidirectional characters, one space at a time. So "M13" and "M13" + U+200B stop being two targets
 * that look the same. A cleaned name that now clashes with another (in the scope where names are unique) gets
 * " (2)", " (3)"... so no row is lost; an empty result becomes "Unnamed <id>". The original names are not kept:
 * `down` changes nothing.
 */
export class CleanNames1796000000000 implements MigrationInterface {
  name = 'CleanNames1796000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const named of NAMED) {
      const scope = 'scope' in named ? `, "${named.scope}" AS "scope"` : '';
      const rows: NamedRow[] = await queryRunner.query(`SELECT "id", "name"${scope} FROM "${named.table}" ORDER BY "id"`);
      const cleanedOf = (row: NamedRow) => searchText(row.name, named.max) || `Unnamed ${row.id}`;
      const dirty = rows.filter((row) => cleanedOf(row) !== row.name);
      if (!dirty.length) continue;
      // Names that stay as they are keep them; the cleaned ones fit around them, oldest first.
      const dirtyIds = new Set(dirty.map((row) => row.id));
      const taken = new Set(named.sameName ? rows.filter((row) => !dirtyIds.has(row.id)).map(named.sameName) : []);
      for (const row of dirty) {
        let name = cleanedOf(row);
        if (named.sameName) {
          const base = name;
          for (let n = 2; taken.has(named.sameName({ ...row, name })); n++) {
            const suffix = ` (${n})`;
            name = `${[...base].slice(0, named.max - suffix.length).join('')}${suffix}`;
          }
          taken.add(named.sameName({ ...row, name }));
        }
        await queryRunner.query(`UPDATE "${named.table}" SET "name" = $2 WHERE "id" = $1`, [row.id, name]);
      }
    }
  }

  public async down(): Promise<void> {
    // The names before cleaning are not kept: nothing to give back, and the cleaned names fit the old schema.
  }
}
