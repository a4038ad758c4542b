import { MigrationInterface, QueryRunner } from "typeorm";

export class InitialSchema1795304071709 implements MigrationInterface {
    name = 'InitialSchema1795304071709'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "username" character varying(150) NOT NULL, "password_hash" character varying(255) NOT NULL, "role" character varying(16) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_fe0bb3f6520ee0469504521e710" UNIQUE ("username"), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TABLE "targets" ("id" SERIAL NOT NULL, "name" character varying(100) NOT NULL, "aliases" text array NOT NULL DEFAULT '{}', "type" character varying(16) NOT NULL DEFAULT 'sidereal', "ra" double precision, "dec" double precision, "epoch" double precision DEFAULT '2000', "pm_ra" double precision, "pm_dec" double precision, "scheme" character varying(32), "elements" jsonb NOT NULL DEFAULT '{}'::jsonb, "extra" jsonb NOT NULL DEFAULT '{}'::jsonb, "visibility" character varying(8) NOT NULL DEFAULT 'private', "owner_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_87084f49e9de9dd6a3e83906584" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TABLE "data_products" ("id" SERIAL NOT NULL, "target_id" integer NOT NULL, "stored_path" character varying(255) NOT NULL, "original_name" character varying(255) NOT NULL, "product_type" character varying(32) NOT NULL, "tags" text array NOT NULL DEFAULT '{}', "size" bigint NOT NULL, "sha256" character(64) NOT NULL, "thumbnail_path" character varying(255), "featured" boolean NOT NULL DEFAULT false, "uploaded_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_0b7dac2e9855158f89e37c1c7ef" UNIQUE ("stored_path"), CONSTRAINT "PK_758d8775a02789c5cf588f28135" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_96f6e1dc5e2d834f4e095b0fce" ON "data_products" ("target_id", "sha256") `);
        await queryRunner.query(`CREATE TABLE "data_product_groups" ("id" SERIAL NOT NULL, "name" character varying(200) NOT NULL, "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_4f477d03f6c60a2334c507808bf" UNIQUE ("name"), CONSTRAINT "PK_3826704c2840e1860b2843a168d" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TABLE "pipeline_processes" ("id" SERIAL NOT NULL, "pipeline_key" character varying(100) NOT NULL, "identifier" character varying(200) NOT NULL, "target_id" integer NOT NULL, "input_ids" integer array NOT NULL DEFAULT '{}', "flags" jsonb NOT NULL DEFAULT '{}'::jsonb, "state" character varying(16) NOT NULL DEFAULT 'queued', "status" text NOT NULL DEFAULT '', "failure_message" text, "output_group_id" integer, "requested_by_id" uuid, "provenance" jsonb NOT NULL DEFAULT '{}'::jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_49adb353373040a6b7add07dc15" UNIQUE ("identifier"), CONSTRAINT "PK_59e6a8f2ab3a4206b6f7f51a81e" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TABLE "pipeline_log_lines" ("id" BIGSERIAL NOT NULL, "process_id" integer NOT NULL, "seq" integer NOT NULL, "time" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "level" character varying(8) NOT NULL DEFAULT 'info', "text" text NOT NULL, CONSTRAINT "PK_9611cf1504061c6a7a1f553a73f" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "pipeline_log_lines_process_seq_key" ON "pipeline_log_lines" ("process_id", "seq") `);
        await queryRunner.query(`CREATE TABLE "reduced_data" ("id" SERIAL NOT NULL, "target_id" integer NOT NULL, "data_product_id" integer, "data_type" character varying(32) NOT NULL, "source_name" character varying(255) NOT NULL DEFAULT '', "timestamp" TIMESTAMP WITH TIME ZONE NOT NULL, "value" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_59be4a534fbf55133fcf05c2919" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "reduced_data_identity_key" ON "reduced_data" ("target_id", "data_type", "timestamp", "value") `);
        await queryRunner.query(`CREATE TABLE "target_lists" ("id" SERIAL NOT NULL, "name" character varying(100) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_ead0db045404cbfed8c2237c3e4" UNIQUE ("name"), CONSTRAINT "PK_5425f88e9d44ff805056d87f2f7" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TABLE "data_product_group_members" ("group_id" integer NOT NULL, "data_product_id" integer NOT NULL, CONSTRAINT "PK_11a1333c81ee266eb4f9e06cda6" PRIMARY KEY ("group_id", "data_product_id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_e57c047151a03c50d26a6f6c49" ON "data_product_group_members" ("group_id") `);
        await queryRunner.query(`CREATE INDEX "IDX_2aab683d3e3e57913ef9e447f2" ON "data_product_group_members" ("data_product_id") `);
        await queryRunner.query(`CREATE TABLE "target_list_targets" ("target_list_id" integer NOT NULL, "target_id" integer NOT NULL, CONSTRAINT "PK_7e40f3671d5e80e47f89fefb49d" PRIMARY KEY ("target_list_id", "target_id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_a805613627ef427dd6a9df08ae" ON "target_list_targets" ("target_list_id") `);
        await queryRunner.query(`CREATE INDEX "IDX_139fcd2434dd56c32c2d9b1b71" ON "target_list_targets" ("target_id") `);
        await queryRunner.query(`ALTER TABLE "targets" ADD CONSTRAINT "FK_c48939eed7ad351f902f4d76105" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "data_products" ADD CONSTRAINT "FK_80c8760f96d5e92f70e9fd8b04d" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "data_products" ADD CONSTRAINT "FK_3cf419a42f44abf9f2faff7bdbd" FOREIGN KEY ("uploaded_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "data_product_groups" ADD CONSTRAINT "FK_55da9141555c9a944c561d2c6cd" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "pipeline_processes" ADD CONSTRAINT "FK_bf10eaaebcbedf21053b8f95975" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "pipeline_processes" ADD CONSTRAINT "FK_f54905f3b08e4b04695ee957784" FOREIGN KEY ("output_group_id") REFERENCES "data_product_groups"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "pipeline_processes" ADD CONSTRAINT "FK_0b22083fbc821017f9a505b71e9" FOREIGN KEY ("requested_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "pipeline_log_lines" ADD CONSTRAINT "FK_3b2b4eefff3570a7cb360995b4c" FOREIGN KEY ("process_id") REFERENCES "pipeline_processes"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "reduced_data" ADD CONSTRAINT "FK_cca2095b106ebb2dc75f820a8a0" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "reduced_data" ADD CONSTRAINT "FK_6edf519255dd75257b86cf6e04a" FOREIGN KEY ("data_product_id") REFERENCES "data_products"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "data_product_group_members" ADD CONSTRAINT "FK_e57c047151a03c50d26a6f6c49e" FOREIGN KEY ("group_id") REFERENCES "data_product_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE`);
        await queryRunner.query(`ALTER TABLE "data_product_group_members" ADD CONSTRAINT "FK_2aab683d3e3e57913ef9e447f22" FOREIGN KEY ("data_product_id") REFERENCES "data_products"("id") ON DELETE CASCADE ON UPDATE CASCADE`);
        await queryRunner.query(`ALTER TABLE "target_list_targets" ADD CONSTRAINT "FK_a805613627ef427dd6a9df08aeb" FOREIGN KEY ("target_list_id") REFERENCES "target_lists"("id") ON DELETE CASCADE ON UPDATE CASCADE`);
        await queryRunner.query(`ALTER TABLE "target_list_targets" ADD CONSTRAINT "FK_139fcd2434dd56c32c2d9b1b71e" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE ON UPDATE CASCADE`);
        // Written by hand (not derivable from entities): target names unique whatever their case, and the table
        // of the Postgres session store (connect-pg-simple's schema) so a restart logs nobody out.
        await queryRunner.query(`CREATE UNIQUE INDEX "targets_name_lower_key" ON "targets" (lower("name"))`);
        await queryRunner.query(`CREATE TABLE "sessions" ("sid" character varying NOT NULL, "sess" json NOT NULL, "expire" TIMESTAMP(6) NOT NULL, CONSTRAINT "sessions_pkey" PRIMARY KEY ("sid"))`);
        await queryRunner.query(`CREATE INDEX "sessions_expire_idx" ON "sessions" ("expire")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "sessions"`);
        await queryRunner.query(`DROP INDEX "public"."targets_name_lower_key"`);
        await queryRunner.query(`ALTER TABLE "target_list_targets" DROP CONSTRAINT "FK_139fcd2434dd56c32c2d9b1b71e"`);
        await queryRunner.query(`ALTER TABLE "target_list_targets" DROP CONSTRAINT "FK_a805613627ef427dd6a9df08aeb"`);
        await queryRunner.query(`ALTER TABLE "data_product_group_members" DROP CONSTRAINT "FK_2aab683d3e3e57913ef9e447f22"`);
        await queryRunner.query(`ALTER TABLE "data_product_group_members" DROP CONSTRAINT "FK_e57c047151a03c50d26a6f6c49e"`);
        await queryRunner.query(`ALTER TABLE "reduced_data" DROP CONSTRAINT "FK_6edf519255dd75257b86cf6e04a"`);
        await queryRunner.query(`ALTER TABLE "reduced_data" DROP CONSTRAINT "FK_cca2095b106ebb2dc75f820a8a0"`);
        await queryRunner.query(`ALTER TABLE "pipeline_log_lines" DROP CONSTRAINT "FK_3b2b4eefff3570a7cb360995b4c"`);
        await queryRunner.query(`ALTER TABLE "pipeline_processes" DROP CONSTRAINT "FK_0b22083fbc821017f9a505b71e9"`);
        await queryRunner.query(`ALTER TABLE "pipeline_processes" DROP CONSTRAINT "FK_f54905f3b08e4b04695ee957784"`);
        await queryRunner.query(`ALTER TABLE "pipeline_processes" DROP CONSTRAINT "FK_bf10eaaebcbedf21053b8f95975"`);
        await queryRunner.query(`ALTER TABLE "data_product_groups" DROP CONSTRAINT "FK_55da9141555c9a944c561d2c6cd"`);
        await queryRunner.query(`ALTER TABLE "data_products" DROP CONSTRAINT "FK_3cf419a42f44abf9f2faff7bdbd"`);
        await queryRunner.query(`ALTER TABLE "data_products" DROP CONSTRAINT "FK_80c8760f96d5e92f70e9fd8b04d"`);
        await queryRunner.query(`ALTER TABLE "targets" DROP CONSTRAINT "FK_c48939eed7ad351f902f4d76105"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_139fcd2434dd56c32c2d9b1b71"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_a805613627ef427dd6a9df08ae"`);
        await queryRunner.query(`DROP TABLE "target_list_targets"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_2aab683d3e3e57913ef9e447f2"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_e57c047151a03c50d26a6f6c49"`);
        await queryRunner.query(`DROP TABLE "data_product_group_members"`);
        await queryRunner.query(`DROP TABLE "target_lists"`);
        await queryRunner.query(`DROP INDEX "public"."reduced_data_identity_key"`);
        await queryRunner.query(`DROP TABLE "reduced_data"`);
        await queryRunner.query(`DROP INDEX "public"."pipeline_log_lines_process_seq_key"`);
        await queryRunner.query(`DROP TABLE "pipeline_log_lines"`);
        await queryRunner.query(`DROP TABLE "pipeline_processes"`);
        await queryRunner.query(`DROP TABLE "data_product_groups"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_96f6e1dc5e2d834f4e095b0fce"`);
        await queryRunner.query(`DROP TABLE "data_products"`);
        await queryRunner.query(`DROP TABLE "targets"`);
        await queryRunner.query(`DROP TABLE "users"`);
    }

}
