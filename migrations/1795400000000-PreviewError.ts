import { MigrationInterface, QueryRunner } from 'typeorm';

export class PreviewError1795400000000 implements MigrationInterface {
  name = 'PreviewError1795400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "data_products" ADD "preview_error" character varying(500)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "data_products" DROP COLUMN "preview_error"`);
  }
}
