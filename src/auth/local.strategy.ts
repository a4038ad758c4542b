import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { SessionUser } from '../users/user.entity';
import { UsersService } from '../users/users.service';

/** The right password for a deactivated account: told plainly (403), and not counted as a guess. */
export class AccountDeactivatedException extends ForbiddenException {
  constructor() {
    super('This account has been deactivated. Ask your teacher or the portal’s admin to reactivate it.');
  }
}

@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly users: UsersService) {
    super({ usernameField: 'username', passwordField: 'password' });
  }

  async validate(username: string, password: string): Promise<SessionUser> {
    const result = await this.users.checkCredentials(String(username ?? '').trim(), String(password ?? ''));
    if ('user' in result) return result.user;
    if (result.refused === 'deactivated') throw new AccountDeactivatedException();
    throw new UnauthorizedException('Wrong username or password');
  }
}
