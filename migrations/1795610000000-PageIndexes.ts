import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the paged pages: /targets lists targets by name (then id), and a target's page shows its products
 * newest first, with its newest timelapse above them; with these, a page is an index range, not a sort of every row.
 */
export class PageIndexes1795610000000 implements MigrationInterface {
  name = 'PageIndexes1795610000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "targets_name_id_idx" ON "targets" ("name", "id")`);
    await queryRunner.query(`CREATE INDEX "data_products_target_created_idx" ON "data_products" ("target_id", "created_at" DESC, "id" DESC)`);
    // The newest timelapse of a target, without reading its other products.
    await queryRunner.query(
      `CREATE INDEX "data_products_target_type_created_idx" ON "data_products" ("target_id", "product_type", "created_at" DESC, "id" DESC)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "data_products_target_type_created_idx"`);
    await queryRunner.query(`DROP INDEX "data_products_target_created_idx"`);
    await queryRunner.query(`DROP INDEX "targets_name_id_idx"`);
  }
}
