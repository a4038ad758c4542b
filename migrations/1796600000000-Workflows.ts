import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Workflows (issue 15): their versions (workflow_versions, one row per save), the steps of a workflow run
 * (pipeline_run_steps, one job each) and the version a run ran (pipeline_runs.workflow_version_id).
 */
export class Workflows1796600000000 implements MigrationInterface {
  name = 'Workflows1796600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "workflow_versions" ("id" SERIAL NOT NULL, "name" character varying(100) NOT NULL, "short_name" character varying(60) NOT NULL, "version" integer NOT NULL, "description" text NOT NULL DEFAULT '', "steps" jsonb NOT NULL, "source" character varying(10) NOT NULL, "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a84eb8dc6065f33ce4b1447955f" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "workflow_versions_name_version_key" ON "workflow_versions" ("name", "version") `);
    await queryRunner.query(`CREATE TABLE "pipeline_run_steps" ("id" SERIAL NOT NULL, "run_id" integer NOT NULL, "position" integer NOT NULL, "pipeline_key" character varying(100) NOT NULL, "flags" jsonb NOT NULL DEFAULT '{}', "params" jsonb NOT NULL DEFAULT '{}', "inputs" character varying(8) NOT NULL, "keep" jsonb NOT NULL DEFAULT '{}', "state" character varying(10) NOT NULL DEFAULT 'pending', "status" text NOT NULL DEFAULT '', "failure_message" text, "attempt" integer NOT NULL DEFAULT '0', "output_ids" integer array NOT NULL DEFAULT '{}', "point_count" integer NOT NULL DEFAULT '0', "reused_from_run_id" integer, "first_log_seq" integer, "provenance" jsonb NOT NULL DEFAULT '{}', "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_e37db0df5aa78522e0617299139" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "pipeline_run_steps_run_position_key" ON "pipeline_run_steps" ("run_id", "position") `);
    await queryRunner.query(`ALTER TABLE "pipeline_runs" ADD "workflow_version_id" integer`);
    await queryRunner.query(`ALTER TABLE "workflow_versions" ADD CONSTRAINT "FK_095942ae17441ca819abf324e16" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "pipeline_runs" ADD CONSTRAINT "FK_5729a4944cc9cd50b05c60fc214" FOREIGN KEY ("workflow_version_id") REFERENCES "workflow_versions"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "pipeline_run_steps" ADD CONSTRAINT "FK_f0c65c727d696a92f4548977748" FOREIGN KEY ("run_id") REFERENCES "pipeline_runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "pipeline_run_steps" DROP CONSTRAINT "FK_f0c65c727d696a92f4548977748"`);
    await queryRunner.query(`ALTER TABLE "pipeline_runs" DROP CONSTRAINT "FK_5729a4944cc9cd50b05c60fc214"`);
    await queryRunner.query(`ALTER TABLE "workflow_versions" DROP CONSTRAINT "FK_095942ae17441ca819abf324e16"`);
    await queryRunner.query(`ALTER TABLE "pipeline_runs" DROP COLUMN "workflow_version_id"`);
    await queryRunner.query(`DROP INDEX "public"."pipeline_run_steps_run_position_key"`);
    await queryRunner.query(`DROP TABLE "pipeline_run_steps"`);
    await queryRunner.query(`DROP INDEX "public"."workflow_versions_name_version_key"`);
    await queryRunner.query(`DROP TABLE "workflow_versions"`);
  }

}
