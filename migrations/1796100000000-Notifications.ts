import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications (issue 13, item 4): what happened for a user (a run of theirs ended, a new assignment, a hand-in,
 * feedback, an assignment due soon), kept for the portal's bell and /notifications; each user's choices per kind
 * (in the portal, by email; no row: both on); and the users' own email address, optional and unique when set
 * (any case).
 */
export class Notifications1796100000000 implements MigrationInterface {
  name = 'Notifications1796100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "email" character varying(254)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "users_email_lower_key" ON "users" (lower("email")) WHERE "email" IS NOT NULL`);

    await queryRunner.query(
      `CREATE TABLE "notifications" ("id" SERIAL NOT NULL, "user_id" uuid NOT NULL, "kind" character varying(32) NOT NULL, "title" character varying(200) NOT NULL, "body" text, "link" character varying(500), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "read_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_notifications" PRIMARY KEY ("id"))`,
    );
    // A user's newest first (the page, the API), and their unread ones (the bell's count, ?unread=true).
    await queryRunner.query(`CREATE INDEX "notifications_user_id_idx" ON "notifications" ("user_id", "id")`);
    await queryRunner.query(`CREATE INDEX "notifications_user_unread_idx" ON "notifications" ("user_id", "id") WHERE "read_at" IS NULL`);
    await queryRunner.query(
      `ALTER TABLE "notifications" ADD CONSTRAINT "FK_notifications_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );

    await queryRunner.query(
      `CREATE TABLE "notification_preferences" ("user_id" uuid NOT NULL, "kind" character varying(32) NOT NULL, "in_portal" boolean NOT NULL DEFAULT true, "by_email" boolean NOT NULL DEFAULT true, CONSTRAINT "PK_notification_preferences" PRIMARY KEY ("user_id", "kind"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "notification_preferences" ADD CONSTRAINT "FK_notification_preferences_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "notification_preferences"`);
    await queryRunner.query(`DROP TABLE "notifications"`);
    await queryRunner.query(`DROP INDEX "users_email_lower_key"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "email"`);
  }
}
