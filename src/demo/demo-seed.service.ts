import * as fs from 'node:fs';
import * as path from 'node:path';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ClassroomMember } from '../classrooms/classroom-member.entity';
import { ClassroomsService } from '../classrooms/classrooms.service';
import { formatJoinCode } from '../classrooms/join-code';
import { PROJECT_ROOT } from '../config/paths';
import { DataProductWriter } from '../data-products/data-product-writer.service';
import { DataProduct, ProductType } from '../data-products/data-product.entity';
import { DataProductGroup } from '../groups/data-product-group.entity';
import { PipelinePresetsService } from '../pipeline-runs/pipeline-presets.service';
import { FileStorageService } from '../storage/file-storage.service';
import { Target } from '../targets/target.entity';
import { generatePassphrase } from '../users/passphrase';
import { User, UserRole } from '../users/user.entity';
import { UsersService } from '../users/users.service';

export interface DemoAccount {
  username: string;
  displayName: string;
  password: string;
  role: UserRole;
}

export interface DemoSeedResult {
  accounts: DemoAccount[];
  /** "Demo class": taught by the demo teacher, with both demo students on its roster; the code as typed (ABCD-EF23). */
  classroom: { id: number; name: string; joinCode: string | null };
  targets: Array<{ id: number; name: string; frames: number }>;
}

export const DEMO_CLASS_NAME = 'Demo class';

interface DemoTarget {
  fields: Partial<Target>;
  folder: string;
  productType: ProductType;
  group: string;
}

/** Sample frames shipped in the repository (copied from the project's shared sample data). */
export const DEMO_FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures');

const DEMO_TARGETS: DemoTarget[] = [
  {
    fields: {
      name: 'M13',
      aliases: ['NGC 6205', 'Hercules Globular Cluster'],
      type: 'sidereal',
      ra: 250.4235,
      dec: 36.4613,
      epoch: 2000,
      visibility: 'public',
      extra: { constellation: 'Hercules', distance_kly: '22.2' },
    },
    folder: 'm13-blue-2013-05-05',
    productType: 'fits_image',
    group: 'M13 blue frames 2013-05-05',
  },
  {
    fields: {
      name: 'Sun',
      aliases: ['Sol'],
      type: 'non_sidereal',
      scheme: 'JPL_MAJOR_PLANET',
      elements: { ephemeris_id: '10' },
      visibility: 'public',
      extra: { instrument: 'SOHO/EIT 195 Å' },
    },
    folder: 'eit-195-2004-03-01',
    productType: 'fits_image',
    group: 'SOHO EIT 195 2004-03-01',
  },
];

/**
 * On an empty database: an admin, a teacher with "Demo class" and two students in it, and the public demo targets
 * M13 and the Sun with their frames (the teacher's; frames and groups public too).
 */
@Injectable()
export class DemoSeedService {
  private readonly logger = new Logger('DemoSeed');

  constructor(
    private readonly users: UsersService,
    private readonly classrooms: ClassroomsService,
    private readonly storage: FileStorageService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly products: DataProductWriter,
    // Absent in a CLI context without the pipelines: the demo's preset is then left out.
    @Optional() private readonly presets?: PipelinePresetsService,
  ) {}

  async seedIfEmpty(): Promise<DemoSeedResult | null> {
    if ((await this.users.count()) > 0) return null;
    return this.seed();
  }

  async seed(): Promise<DemoSeedResult> {
    // Demo passwords are not forced to change: they are printed and kept in demo-accounts.txt for whoever tries it.
    const accounts: DemoAccount[] = [
      { username: 'admin', displayName: 'Demo admin', password: generatePassphrase(), role: 'admin' },
      { username: 'teacher', displayName: 'Demo teacher', password: generatePassphrase(), role: 'teacher' },
      { username: 'student1', displayName: 'Demo student one', password: generatePassphrase(), role: 'student' },
      { username: 'student2', displayName: 'Demo student two', password: generatePassphrase(), role: 'student' },
    ];
    const created: User[] = [];
    for (const account of accounts) {
      created.push(await this.users.create(account.username, account.password, account.role, { displayName: account.displayName }));
    }
    const teacher = created.find((user) => user.role === 'teacher')!;
    const classroom = await this.classrooms.create({ teacherId: teacher.id, name: DEMO_CLASS_NAME });
    await this.dataSource.getRepository(ClassroomMember).insert(
      created.filter((user) => user.role === 'student').map((user) => ({ classroomId: classroom.id, userId: user.id, role: 'student' as const })),
    );

    const targets: DemoSeedResult['targets'] = [];
    const seededProducts: DataProduct[] = [];
    for (const demo of DEMO_TARGETS) {
      const folder = path.join(DEMO_FIXTURES, demo.folder);
      if (!fs.existsSync(folder)) {
        this.logger.warn(`Sample frames missing (${folder}); ${demo.fields.name} is seeded without data products`);
      }
      const files = fs.existsSync(folder) ? fs.readdirSync(folder).filter((name) => !name.startsWith('.')).sort() : [];
      const stored = await this.products.stage(files.map((name) => ({ path: path.join(folder, name), originalName: name })));
      try {
        const target = await this.dataSource.transaction(async (manager) => {
          const target = await manager.save(manager.create(Target, { ...demo.fields, ownerId: teacher.id }));
          // The frames are for everyone, like their target.
          const products: DataProduct[] = [];
          for (const [i, file] of stored.entries()) {
            products.push(
              await this.products.insert(manager, file, {
                targetId: target.id,
                originalName: files[i],
                productType: demo.productType,
                ownerId: teacher.id,
                visibility: 'public',
                tags: ['demo'],
              }),
            );
          }
          if (products.length) {
            await manager.save(manager.create(DataProductGroup, { name: demo.group, products, createdById: teacher.id, visibility: 'public' }));
          }
          seededProducts.push(...products);
          return target;
        });
        targets.push({ id: target.id, name: target.name, frames: stored.length });
      } catch (error) {
        await this.products.discard(stored);
        throw error;
      }
    }
    await this.seedPreset(teacher);
    const result: DemoSeedResult = {
      accounts,
      classroom: { id: classroom.id, name: classroom.name, joinCode: classroom.joinCode ? formatJoinCode(classroom.joinCode) : null },
      targets,
    };
    this.writeCredentials(result);
    // Thumbnails are the workers' job; a failure to queue them is made good by the sweep at the next start.
    await this.products.queuePreviews(seededProducts);
    return result;
  }

  /**
   * The demo frames carry no WCS, so aperture photometry needs its "brightest source near the centre" flag: a preset
   * with it lets the teacher's first assignment work as it is (README, "Assignments").
   */
  private async seedPreset(teacher: User) {
    if (!this.presets) return;
    try {
      await this.presets.create(DEMO_PRESET.pipeline, DEMO_PRESET.name, DEMO_PRESET.flags, teacher);
    } catch (error) {
      // A portal configured without the pipeline: nothing to preset.
      this.logger.warn(`Demo preset not made: ${(error as Error).message}`);
    }
  }

  /** Kept in DATA_DIR too, for whoever missed the start-up log. */
  private writeCredentials(result: DemoSeedResult) {
    const file = path.join(this.storage.root, 'demo-accounts.txt');
    const lines = [
      '# Demo accounts made at first start (role, username, password)',
      ...result.accounts.map((a) => `${a.role}\t${a.username}\t${a.password}`),
      `# "${result.classroom.name}" (teacher, both students): students join more at /classes/join with this code`,
      `join-code\t${result.classroom.joinCode ?? '(none)'}`,
    ];
    fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  }
}

/** The start-up log's and `seed:demo`'s lines about what was seeded: accounts, the class's join code, targets. */
/** The preset the demo's assignment uses (see seedPreset). */
export const DEMO_PRESET = { pipeline: 'Aperture photometry', name: 'Demo frames (no WCS)', flags: { brightestWithoutWcs: true } };

export function demoSeedSummary(result: DemoSeedResult): string[] {
  const targets = result.targets.map((t) => `${t.name} (${t.frames} frames)`).join(' and ');
  return [
    `Seeded the demo: public targets ${targets}, an admin, a teacher and two students in "${result.classroom.name}".`,
    ...result.accounts.map((a) => `Demo account: ${a.username} / ${a.password} (${a.role})`),
    `Demo class: "${result.classroom.name}" (id ${result.classroom.id}), join code ${result.classroom.joinCode ?? '(none)'}`,
  ];
}
