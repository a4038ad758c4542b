import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `pipeline_processes.attempt`: how many times a worker has started the run (0 while it never started). A run
 * interrupted by a worker's stop, or retried after its worker died, starts again with the next attempt, up to
 * RUN_MAX_ATTEMPTS; its log and page say which attempt this is.
 */
export class RunAttempts1795910000000 implements MigrationInterface {
  name = 'RunAttempts1795910000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "pipeline_processes" ADD "attempt" integer NOT NULL DEFAULT 0`);
    // Runs that already started count as started once.
    await queryRunner.query(`UPDATE "pipeline_processes" SET "attempt" = 1 WHERE "started_at" IS NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "pipeline_processes" DROP COLUMN "attempt"`);
  }
}
