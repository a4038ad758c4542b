import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { hashPassword, verifyPassword } from './password-hasher';
import { SessionUser, User, USER_ROLES, UserRole } from './user.entity';

const USERNAME_PATTERN = /^[A-Za-z0-9_.@-]{2,150}$/;

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async create(username: string, password: string, role: UserRole): Promise<User> {
    if (!USERNAME_PATTERN.test(username)) {
      throw new BadRequestException('Username must be 2-150 letters, digits or . _ @ -');
    }
    if (!USER_ROLES.includes(role)) throw new BadRequestException(`Role must be one of: ${USER_ROLES.join(', ')}`);
    if (password.length < 8) throw new BadRequestException('Password must be at least 8 characters');
    if (await this.users.exist({ where: { username } })) {
      throw new ConflictException(`User "${username}" already exists`);
    }
    return this.users.save(this.users.create({ username, role, passwordHash: await hashPassword(password) }));
  }

  /** The user for these credentials, or null; takes the same time for unknown users as for wrong passwords. */
  async authenticate(username: string, password: string): Promise<SessionUser | null> {
    const user = await this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.username = :username', { username })
      .getOne();
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    return user && ok ? toSessionUser(user) : null;
  }

  async setPassword(username: string, password: string): Promise<void> {
    if (password.length < 8) throw new BadRequestException('Password must be at least 8 characters');
    const result = await this.users.update({ username }, { passwordHash: await hashPassword(password) });
    if (!result.affected) throw new NotFoundException(`There is no user "${username}"`);
  }

  async findSessionUser(id: string): Promise<SessionUser | null> {
    // Every request asks (roles apply at once), so a plain query rather than an entity.
    const [user]: SessionUser[] = await this.users.query('SELECT id, username, role FROM users WHERE id = $1', [id]);
    return user ? toSessionUser(user) : null;
  }

  count(): Promise<number> {
    return this.users.count();
  }

  list(): Promise<User[]> {
    return this.users.find({ order: { username: 'ASC' } });
  }
}

// A valid hash of a random password, so an unknown username costs one scrypt like a known one.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$' + Buffer.alloc(64).toString('base64');

export function toSessionUser(user: Pick<User, 'id' | 'username' | 'role'>): SessionUser {
  return { id: user.id, username: user.username, role: user.role };
}
