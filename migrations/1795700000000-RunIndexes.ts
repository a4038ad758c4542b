import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the run lists: a target's page shows its newest runs, /runs and the API list every visible run newest
 * first; without these each is a sort of every run ever made.
 */
export class RunIndexes1795700000000 implements MigrationInterface {
  name = 'RunIndexes1795700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "pipeline_processes_target_created_idx" ON "pipeline_processes" ("target_id", "created_at" DESC, "id" DESC)`);
    await queryRunner.query(`CREATE INDEX "pipeline_processes_created_idx" ON "pipeline_processes" ("created_at" DESC, "id" DESC)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "pipeline_processes_created_idx"`);
    await queryRunner.query(`DROP INDEX "pipeline_processes_target_created_idx"`);
  }
}
