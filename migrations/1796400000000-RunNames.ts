import { MigrationInterface, QueryRunner } from 'typeorm';

/** [table, kind, old name, new name] for every name that says "process" where it means a run. */
const RENAMES: Array<[table: 'runs' | 'log', kind: 'INDEX' | 'CONSTRAINT' | 'SEQUENCE' | 'COLUMN', from: string, to: string]> = [
  ['runs', 'SEQUENCE', 'pipeline_processes_id_seq', 'pipeline_runs_id_seq'],
  ['runs', 'INDEX', 'pipeline_processes_target_created_idx', 'pipeline_runs_target_created_idx'],
  ['runs', 'INDEX', 'pipeline_processes_created_idx', 'pipeline_runs_created_idx'],
  ['runs', 'INDEX', 'pipeline_processes_owner_idx', 'pipeline_runs_owner_idx'],
  ['runs', 'INDEX', 'pipeline_processes_assignment_idx', 'pipeline_runs_assignment_idx'],
  // TypeORM names these from the table and column names.
  ['runs', 'CONSTRAINT', 'PK_59e6a8f2ab3a4206b6f7f51a81e', 'PK_485786394df8fcdcbdbcdaedda3'],
  ['runs', 'CONSTRAINT', 'UQ_49adb353373040a6b7add07dc15', 'UQ_b68e3903452b50f670d988d57e8'],
  ['runs', 'CONSTRAINT', 'FK_bf10eaaebcbedf21053b8f95975', 'FK_b7de9a105a9de87ed2456bc0d9e'],
  ['runs', 'CONSTRAINT', 'FK_f54905f3b08e4b04695ee957784', 'FK_e260fc010c774701f4c528a85bd'],
  ['runs', 'CONSTRAINT', 'FK_0b22083fbc821017f9a505b71e9', 'FK_d501a243ddba1e503886e9092d4'],
  ['runs', 'CONSTRAINT', 'FK_96838aee634404d88180ff33f1c', 'FK_d93b997c576627aec605e9a9531'],
  ['runs', 'CONSTRAINT', 'pipeline_processes_classroom_id_fkey', 'pipeline_runs_classroom_id_fkey'],
  ['log', 'COLUMN', 'process_id', 'run_id'],
  ['log', 'INDEX', 'pipeline_log_lines_process_seq_key', 'pipeline_log_lines_run_seq_key'],
  ['log', 'CONSTRAINT', 'FK_3b2b4eefff3570a7cb360995b4c', 'FK_73258367dc8af294d4592643576'],
];

function renameSql(table: string, kind: string, from: string, to: string): string {
  if (kind === 'COLUMN' || kind === 'CONSTRAINT') return `ALTER TABLE "${table}" RENAME ${kind} "${from}" TO "${to}"`;
  return `ALTER ${kind} "${from}" RENAME TO "${to}"`;
}

/**
 * One word for a pipeline run: the table `pipeline_processes` becomes `pipeline_runs` and the log lines' `process_id`
 * becomes `run_id`, with the indexes, constraints and sequence named after them. Only names change: every row, and
 * every reference to a run (hand-ins, light-curve points), stays as it was.
 */
export class RunNames1796400000000 implements MigrationInterface {
  name = 'RunNames1796400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "pipeline_processes" RENAME TO "pipeline_runs"`);
    for (const [table, kind, from, to] of RENAMES) {
      await queryRunner.query(renameSql(table === 'runs' ? 'pipeline_runs' : 'pipeline_log_lines', kind, from, to));
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, kind, from, to] of [...RENAMES].reverse()) {
      await queryRunner.query(renameSql(table === 'runs' ? 'pipeline_runs' : 'pipeline_log_lines', kind, to, from));
    }
    await queryRunner.query(`ALTER TABLE "pipeline_runs" RENAME TO "pipeline_processes"`);
  }
}
