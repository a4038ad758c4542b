import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { PROJECT_ROOT } from '../config/paths';
import { DataProduct, ProductType } from '../data-products/data-product.entity';
import { DataProductGroup } from '../groups/data-product-group.entity';
import { enqueuePreviews } from '../previews/preview-jobs';
import { PREVIEWS_QUEUE } from '../queue/queue.module';
import { FileStorageService, StoredFile } from '../storage/file-storage.service';
import { Target } from '../targets/target.entity';
import { User, UserRole } from '../users/user.entity';
import { UsersService } from '../users/users.service';

export interface DemoAccount {
  username: string;
  password: string;
  role: UserRole;
}

export interface DemoSeedResult {
  accounts: DemoAccount[];
  targets: Target[];
}

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

/** On an empty database: a teacher, a student, and the demo targets M13 and the Sun with their frames. */
@Injectable()
export class DemoSeedService {
  private readonly logger = new Logger('DemoSeed');

  constructor(
    private readonly users: UsersService,
    private readonly storage: FileStorageService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(PREVIEWS_QUEUE) private readonly previewQueue: Queue,
  ) {}

  async seedIfEmpty(): Promise<DemoSeedResult | null> {
    if ((await this.users.count()) > 0) return null;
    return this.seed();
  }

  async seed(): Promise<DemoSeedResult> {
    const accounts: DemoAccount[] = [
      { username: 'teacher', password: DemoSeedService.password(), role: 'teacher' },
      { username: 'student', password: DemoSeedService.password(), role: 'student' },
    ];
    const created: User[] = [];
    for (const account of accounts) created.push(await this.users.create(account.username, account.password, account.role));
    const teacher = created[0];

    const targets: Target[] = [];
    const seededProducts: DataProduct[] = [];
    for (const demo of DEMO_TARGETS) {
      const folder = path.join(DEMO_FIXTURES, demo.folder);
      if (!fs.existsSync(folder)) {
        this.logger.warn(`Sample frames missing (${folder}); ${demo.fields.name} is seeded without data products`);
      }
      const files = fs.existsSync(folder) ? fs.readdirSync(folder).filter((name) => !name.startsWith('.')).sort() : [];
      const stored: Array<StoredFile & { name: string }> = [];
      for (const name of files) stored.push({ name, ...(await this.storage.importCopy(path.join(folder, name), name)) });
      try {
        const target = await this.dataSource.transaction(async (manager) => {
          const target = await manager.save(manager.create(Target, { ...demo.fields, ownerId: teacher.id }));
          const products: DataProduct[] = [];
          for (const file of stored) {
            products.push(
              await manager.save(
                manager.create(DataProduct, {
                  targetId: target.id,
                  storedPath: file.storedPath,
                  originalName: file.name,
                  productType: demo.productType,
                  size: file.size,
                  sha256: file.sha256,
                  uploadedById: teacher.id,
                  tags: ['demo'],
                }),
              ),
            );
          }
          if (products.length) {
            await manager.save(manager.create(DataProductGroup, { name: demo.group, products, createdById: teacher.id }));
          }
          seededProducts.push(...products);
          return target;
        });
        targets.push(target);
      } catch (error) {
        for (const file of stored) await this.storage.remove(file.storedPath);
        throw error;
      }
    }
    this.writeCredentials(accounts);
    // Thumbnails are the worker's job; a failure to queue them is made good by its sweep at the next start.
    await enqueuePreviews(this.previewQueue, seededProducts.map((product) => product.id)).catch((error) =>
      this.logger.warn(`Demo thumbnails not queued: ${error.message}`),
    );
    return { accounts, targets };
  }

  /** Kept in DATA_DIR too, for whoever missed the start-up log. */
  private writeCredentials(accounts: DemoAccount[]) {
    const file = path.join(this.storage.root, 'demo-accounts.txt');
    const lines = accounts.map((a) => `${a.role}\t${a.username}\t${a.password}`);
    fs.writeFileSync(file, `# Demo accounts made at first start (role, username, password)\n${lines.join('\n')}\n`, { mode: 0o600 });
  }

  /** A readable random password: four groups of letters and digits. */
  static password(): string {
    const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
    const bytes = randomBytes(16);
    const chars = [...bytes].map((byte) => alphabet[byte % alphabet.length]);
    return [0, 4, 8, 12].map((start) => chars.slice(start, start + 4).join('')).join('-');
  }
}
