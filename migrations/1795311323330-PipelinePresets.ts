import { MigrationInterface, QueryRunner } from "typeorm";

export class PipelinePresets1795311323330 implements MigrationInterface {
    name = 'PipelinePresets1795311323330'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "pipeline_presets" ("id" SERIAL NOT NULL, "pipeline_key" character varying(100) NOT NULL, "name" character varying(100) NOT NULL, "flags" jsonb NOT NULL DEFAULT '{}', "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ccc777942bc88b1b99016f0e060" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "pipeline_presets_key_name_key" ON "pipeline_presets" ("pipeline_key", "name") `);
        await queryRunner.query(`ALTER TABLE "pipeline_presets" ADD CONSTRAINT "FK_7e20be3db446a1432c2b6252100" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "pipeline_presets" DROP CONSTRAINT "FK_7e20be3db446a1432c2b6252100"`);
        await queryRunner.query(`DROP INDEX "public"."pipeline_presets_key_name_key"`);
        await queryRunner.query(`DROP TABLE "pipeline_presets"`);
    }

}
