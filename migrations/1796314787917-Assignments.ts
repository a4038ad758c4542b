import { MigrationInterface, QueryRunner } from "typeorm";

export class Assignments1796314787917 implements MigrationInterface {
    name = 'Assignments1796314787917'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "assignments" ("id" SERIAL NOT NULL, "classroom_id" integer NOT NULL, "title" character varying(200) NOT NULL, "instructions" text NOT NULL DEFAULT '', "target_id" integer NOT NULL, "group_id" integer, "pipelines" jsonb NOT NULL DEFAULT '[]', "due_at" TIMESTAMP WITH TIME ZONE NOT NULL, "share_after_due" boolean NOT NULL DEFAULT false, "closed_at" TIMESTAMP WITH TIME ZONE, "reminded_at" TIMESTAMP WITH TIME ZONE, "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c54ca359535e0012b04dcbd80ee" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "assignments_classroom_due_idx" ON "assignments" ("classroom_id", "due_at") `);
        await queryRunner.query(`CREATE TABLE "hand_ins" ("id" SERIAL NOT NULL, "assignment_id" integer NOT NULL, "student_id" uuid NOT NULL, "run_id" integer, "answer" text, "value" double precision, "handed_in_at" TIMESTAMP WITH TIME ZONE NOT NULL, "late" boolean NOT NULL DEFAULT false, "feedback" text, "grade" character varying(32), "feedback_at" TIMESTAMP WITH TIME ZONE, "feedback_by_id" uuid, CONSTRAINT "PK_824a0d685d414971116d112b8a7" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "hand_ins_assignment_student_key" ON "hand_ins" ("assignment_id", "student_id") `);
        await queryRunner.query(`ALTER TABLE "pipeline_processes" ADD "assignment_id" integer`);
        await queryRunner.query(`CREATE INDEX "pipeline_processes_assignment_idx" ON "pipeline_processes" ("assignment_id", "requested_by_id") `);
        await queryRunner.query(`ALTER TABLE "assignments" ADD CONSTRAINT "FK_86e7005d670a6ae7eaae7e0fdbd" FOREIGN KEY ("classroom_id") REFERENCES "classrooms"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "assignments" ADD CONSTRAINT "FK_9d7daa407392436e6f607d96f6b" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "assignments" ADD CONSTRAINT "FK_9a52a70c18d351ddab148eaf849" FOREIGN KEY ("group_id") REFERENCES "data_product_groups"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "assignments" ADD CONSTRAINT "FK_fb280a865b6b9eb71d7da1b1e41" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "pipeline_processes" ADD CONSTRAINT "FK_96838aee634404d88180ff33f1c" FOREIGN KEY ("assignment_id") REFERENCES "assignments"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "hand_ins" ADD CONSTRAINT "FK_f356bde60e1dc461eb1d1c015a0" FOREIGN KEY ("assignment_id") REFERENCES "assignments"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "hand_ins" ADD CONSTRAINT "FK_a8b42fb02091700d6bf2a7c4ff8" FOREIGN KEY ("student_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "hand_ins" ADD CONSTRAINT "FK_1d5406f99f28e523853f5ed7e44" FOREIGN KEY ("run_id") REFERENCES "pipeline_processes"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "hand_ins" ADD CONSTRAINT "FK_639c8c024a8190cdffc2541d919" FOREIGN KEY ("feedback_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "hand_ins" DROP CONSTRAINT "FK_639c8c024a8190cdffc2541d919"`);
        await queryRunner.query(`ALTER TABLE "hand_ins" DROP CONSTRAINT "FK_1d5406f99f28e523853f5ed7e44"`);
        await queryRunner.query(`ALTER TABLE "hand_ins" DROP CONSTRAINT "FK_a8b42fb02091700d6bf2a7c4ff8"`);
        await queryRunner.query(`ALTER TABLE "hand_ins" DROP CONSTRAINT "FK_f356bde60e1dc461eb1d1c015a0"`);
        await queryRunner.query(`ALTER TABLE "pipeline_processes" DROP CONSTRAINT "FK_96838aee634404d88180ff33f1c"`);
        await queryRunner.query(`ALTER TABLE "assignments" DROP CONSTRAINT "FK_fb280a865b6b9eb71d7da1b1e41"`);
        await queryRunner.query(`ALTER TABLE "assignments" DROP CONSTRAINT "FK_9a52a70c18d351ddab148eaf849"`);
        await queryRunner.query(`ALTER TABLE "assignments" DROP CONSTRAINT "FK_9d7daa407392436e6f607d96f6b"`);
        await queryRunner.query(`ALTER TABLE "assignments" DROP CONSTRAINT "FK_86e7005d670a6ae7eaae7e0fdbd"`);
        await queryRunner.query(`DROP INDEX "public"."pipeline_processes_assignment_idx"`);
        await queryRunner.query(`ALTER TABLE "pipeline_processes" DROP COLUMN "assignment_id"`);
        await queryRunner.query(`DROP INDEX "public"."hand_ins_assignment_student_key"`);
        await queryRunner.query(`DROP TABLE "hand_ins"`);
        await queryRunner.query(`DROP INDEX "public"."assignments_classroom_due_idx"`);
        await queryRunner.query(`DROP TABLE "assignments"`);
    }

}
