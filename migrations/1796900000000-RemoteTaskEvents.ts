import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Remote pipelines (issue 16): the events processing services send about a remote run, accepted and waiting for
 * its worker (remote_task_events), one per (run, event id) so a replayed event is refused.
 */
export class RemoteTaskEvents1796900000000 implements MigrationInterface {
  name = 'RemoteTaskEvents1796900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "remote_task_events" ("id" SERIAL NOT NULL, "run_id" integer NOT NULL, "event_id" character varying(100) NOT NULL, "kind" character varying(10) NOT NULL, "payload" jsonb NOT NULL DEFAULT '{}', "file_path" text, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_522d1470acf7c97e59a6ad671b5" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "remote_task_events_run_event_key" ON "remote_task_events" ("run_id", "event_id") `);
    await queryRunner.query(
      `ALTER TABLE "remote_task_events" ADD CONSTRAINT "FK_30736da6ac202a59d15845e3b22" FOREIGN KEY ("run_id") REFERENCES "pipeline_runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "remote_task_events" DROP CONSTRAINT "FK_30736da6ac202a59d15845e3b22"`);
    await queryRunner.query(`DROP INDEX "public"."remote_task_events_run_event_key"`);
    await queryRunner.query(`DROP TABLE "remote_task_events"`);
  }
}
