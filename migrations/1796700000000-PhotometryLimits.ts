import { MigrationInterface, QueryRunner } from 'typeorm';

const NO_OWNER = `'00000000-0000-0000-0000-000000000000'::uuid`;

/**
 * Photometry in TOM Toolkit's format (issue 17): a point may carry a limiting magnitude (`limit`; a non-detection
 * has only that, its value's magnitude null) and the survey or telescope that measured it (`facility`, TOM's
 * `source`). Both join the points' identity, so re-uploading identical rows still adds nothing: the limit through
 * coalesce (NaN stands for "no limit", which no stored limit can be), as the owner already is.
 *
 * down() keeps every point: a limit or facility moves into the point's value (`{"limit": 18.5, "facility": "ZTF"}`
 * beside its magnitude), which the earlier code leaves alone (a point without a numeric magnitude is not drawn)
 * and which keeps the points distinct under the earlier index; up() moves them back out.
 */
export class PhotometryLimits1796700000000 implements MigrationInterface {
  name = 'PhotometryLimits1796700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    // First: points a down() folded up would meet under the earlier index once their limits move out.
    await q(`DROP INDEX "reduced_data_identity_key"`);
    await q(`ALTER TABLE "reduced_data" ADD "limit" double precision`);
    await q(`ALTER TABLE "reduced_data" ADD "facility" character varying(64) NOT NULL DEFAULT ''`);
    // Points a down() folded up (see above) get their columns back.
    await q(`UPDATE "reduced_data" SET
               "limit" = CASE WHEN jsonb_typeof("value"->'limit') = 'number' THEN ("value"->>'limit')::double precision END,
               "facility" = CASE WHEN jsonb_typeof("value"->'facility') = 'string' THEN left("value"->>'facility', 64) ELSE '' END,
               "value" = "value" - 'limit' - 'facility'
             WHERE "value" ?| array['limit', 'facility']`);
    await q(`CREATE UNIQUE INDEX "reduced_data_identity_key" ON "reduced_data"
             ("target_id", "data_type", coalesce("owner_id", ${NO_OWNER}), "timestamp", "value",
              coalesce("limit", 'NaN'::double precision), "facility")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`DROP INDEX "reduced_data_identity_key"`);
    await q(`UPDATE "reduced_data" SET "value" = "value"
               || CASE WHEN "limit" IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('limit', "limit") END
               || CASE WHEN "facility" = '' THEN '{}'::jsonb ELSE jsonb_build_object('facility', "facility") END
             WHERE "limit" IS NOT NULL OR "facility" <> ''`);
    await q(`CREATE UNIQUE INDEX "reduced_data_identity_key" ON "reduced_data"
             ("target_id", "data_type", coalesce("owner_id", ${NO_OWNER}), "timestamp", "value")`);
    await q(`ALTER TABLE "reduced_data" DROP COLUMN "facility"`);
    await q(`ALTER TABLE "reduced_data" DROP COLUMN "limit"`);
  }
}
