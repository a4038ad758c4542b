import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Classes and sharing: the admin role (existing teachers become admins: they saw everything before), account
 * deactivation and forced password changes, classes with co-teachers, a roster and a join code, and an owner and
 * a visibility on every shared object. Light-curve points carry their source and owner, and are unique per owner.
 * Every existing row is kept and stays visible to whoever saw it before.
 */
export class ClassesAndSharing1795800000000 implements MigrationInterface {
  name = 'ClassesAndSharing1795800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`ALTER TABLE "users" ADD "display_name" character varying(150), ADD "active" boolean NOT NULL DEFAULT true,
             ADD "must_change_password" boolean NOT NULL DEFAULT false, ADD "deactivated_at" TIMESTAMP WITH TIME ZONE`);
    await q(`UPDATE "users" SET "role" = 'admin' WHERE "role" = 'teacher'`);

    await q(`CREATE TABLE "classrooms" ("id" SERIAL NOT NULL, "name" character varying(200) NOT NULL,
             "join_code" character varying(32), "join_code_enabled" boolean NOT NULL DEFAULT true,
             "created_by_id" uuid REFERENCES "users"("id") ON DELETE SET NULL,
             "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
             CONSTRAINT "classrooms_pkey" PRIMARY KEY ("id"), CONSTRAINT "classrooms_join_code_key" UNIQUE ("join_code"))`);
    await q(`CREATE TABLE "classroom_members" ("classroom_id" integer NOT NULL REFERENCES "classrooms"("id") ON DELETE CASCADE,
             "user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
             "role" character varying(16) NOT NULL CHECK ("role" IN ('teacher', 'student')),
             "joined_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
             CONSTRAINT "classroom_members_pkey" PRIMARY KEY ("classroom_id", "user_id"))`);
    await q(`CREATE INDEX "classroom_members_user_idx" ON "classroom_members" ("user_id")`);

    // Targets already have owner and visibility; 'class' needs the class.
    await q(`ALTER TABLE "targets" ADD "classroom_id" integer REFERENCES "classrooms"("id") ON DELETE SET NULL`);
    for (const table of ['data_products', 'data_product_groups', 'pipeline_processes']) {
      await q(`ALTER TABLE "${table}" ADD "visibility" character varying(8) NOT NULL DEFAULT 'private',
               ADD "classroom_id" integer REFERENCES "classrooms"("id") ON DELETE SET NULL`);
    }
    // Products and runs were as visible as their target. Students saw a group if it held a public product, or if
    // they made it: so those groups are public, and the rest (empty ones too) private to their maker.
    await q(`UPDATE "data_products" p SET "visibility" = t."visibility" FROM "targets" t WHERE t."id" = p."target_id"`);
    await q(`UPDATE "pipeline_processes" r SET "visibility" = t."visibility" FROM "targets" t WHERE t."id" = r."target_id"`);
    await q(`UPDATE "data_product_groups" g SET "visibility" = 'public'
             WHERE EXISTS (SELECT 1 FROM "data_product_group_members" m JOIN "data_products" p ON p."id" = m."data_product_id"
                            WHERE m."group_id" = g."id" AND p."visibility" = 'public')`);

    // Group names are unique per owner, not portal-wide: "that name exists" must not reveal another school's groups.
    await q(`ALTER TABLE "data_product_groups" DROP CONSTRAINT "UQ_4f477d03f6c60a2334c507808bf"`);
    await q(`CREATE UNIQUE INDEX "data_product_groups_owner_name_key" ON "data_product_groups"
             (coalesce("created_by_id", '00000000-0000-0000-0000-000000000000'::uuid), "name")`);

    // Light-curve points: a series is one filter from one source (an uploaded file, a run, an API batch).
    await q(`ALTER TABLE "reduced_data" ADD "owner_id" uuid REFERENCES "users"("id") ON DELETE SET NULL,
             ADD "visibility" character varying(8) NOT NULL DEFAULT 'private',
             ADD "classroom_id" integer REFERENCES "classrooms"("id") ON DELETE SET NULL,
             ADD "source_kind" character varying(8) NOT NULL DEFAULT 'api',
             ADD "run_id" integer REFERENCES "pipeline_processes"("id") ON DELETE CASCADE,
             ADD "batch_id" uuid`);
    await q(`UPDATE "reduced_data" d SET "source_kind" = 'upload', "owner_id" = coalesce(p."uploaded_by_id", t."owner_id"), "visibility" = p."visibility"
             FROM "data_products" p JOIN "targets" t ON t."id" = p."target_id" WHERE p."id" = d."data_product_id"`);
    await q(`UPDATE "reduced_data" d SET "source_kind" = 'run', "run_id" = r."id", "owner_id" = r."requested_by_id", "visibility" = r."visibility"
             FROM "pipeline_processes" r WHERE d."data_product_id" IS NULL AND r."identifier" = d."source_name" AND r."target_id" = d."target_id"`);
    await q(`UPDATE "reduced_data" d SET "batch_id" = md5(d."target_id" || '/' || d."source_name")::uuid, "owner_id" = t."owner_id", "visibility" = t."visibility"
             FROM "targets" t WHERE t."id" = d."target_id" AND d."source_kind" = 'api'`);
    await q(`DROP INDEX "reduced_data_identity_key"`);
    await q(`CREATE UNIQUE INDEX "reduced_data_identity_key" ON "reduced_data"
             ("target_id", "data_type", coalesce("owner_id", '00000000-0000-0000-0000-000000000000'::uuid), "timestamp", "value")`);
    await q(`CREATE INDEX "reduced_data_run_idx" ON "reduced_data" ("run_id") WHERE "run_id" IS NOT NULL`);
    await q(`CREATE INDEX "data_products_owner_idx" ON "data_products" ("uploaded_by_id")`);
    await q(`CREATE INDEX "pipeline_processes_owner_idx" ON "pipeline_processes" ("requested_by_id", "created_at" DESC)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`DROP INDEX "pipeline_processes_owner_idx"`);
    await q(`DROP INDEX "data_products_owner_idx"`);
    await q(`DROP INDEX "reduced_data_run_idx"`);
    await q(`DROP INDEX "reduced_data_identity_key"`);
    // Points that were unique per owner may repeat across owners: keep the first of each.
    await q(`DELETE FROM "reduced_data" a USING "reduced_data" b
             WHERE a."id" > b."id" AND a."target_id" = b."target_id" AND a."data_type" = b."data_type"
               AND a."timestamp" = b."timestamp" AND a."value" = b."value"`);
    await q(`CREATE UNIQUE INDEX "reduced_data_identity_key" ON "reduced_data" ("target_id", "data_type", "timestamp", "value")`);
    await q(`ALTER TABLE "reduced_data" DROP "batch_id", DROP "run_id", DROP "source_kind", DROP "classroom_id", DROP "visibility", DROP "owner_id"`);
    await q(`DROP INDEX "data_product_groups_owner_name_key"`);
    // Names were unique portal-wide before: suffix the later of any repeated name.
    await q(`UPDATE "data_product_groups" g SET "name" = left(g."name", 190) || ' (' || g."id" || ')'
             WHERE EXISTS (SELECT 1 FROM "data_product_groups" o WHERE o."name" = g."name" AND o."id" < g."id")`);
    await q(`ALTER TABLE "data_product_groups" ADD CONSTRAINT "UQ_4f477d03f6c60a2334c507808bf" UNIQUE ("name")`);
    for (const table of ['pipeline_processes', 'data_product_groups', 'data_products']) {
      await q(`ALTER TABLE "${table}" DROP "classroom_id", DROP "visibility"`);
    }
    await q(`UPDATE "targets" SET "visibility" = 'private' WHERE "visibility" = 'class'`);
    await q(`ALTER TABLE "targets" DROP "classroom_id"`);
    await q(`DROP TABLE "classroom_members"`);
    await q(`DROP TABLE "classrooms"`);
    await q(`UPDATE "users" SET "role" = 'teacher' WHERE "role" = 'admin'`);
    await q(`ALTER TABLE "users" DROP "deactivated_at", DROP "must_change_password", DROP "active", DROP "display_name"`);
  }
}
