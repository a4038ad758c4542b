import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Typed pipeline parameters beside the flags: a run's checked values (`pipeline_runs.params`) and a preset's
 * (`pipeline_presets.params`). Runs and presets from before have none: `{}`.
 */
export class TypedParams1796500000000 implements MigrationInterface {
  name = 'TypedParams1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "pipeline_runs" ADD "params" jsonb NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`ALTER TABLE "pipeline_presets" ADD "params" jsonb NOT NULL DEFAULT '{}'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "pipeline_presets" DROP COLUMN "params"`);
    await queryRunner.query(`ALTER TABLE "pipeline_runs" DROP COLUMN "params"`);
  }
}
