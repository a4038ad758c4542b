import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { SessionUser } from '../users/user.entity';
import { UsersService } from '../users/users.service';

@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly users: UsersService) {
    super({ usernameField: 'username', passwordField: 'password' });
  }

  async validate(username: string, password: string): Promise<SessionUser> {
    const user = await this.users.authenticate(String(username ?? '').trim(), String(password ?? ''));
    if (!user) throw new UnauthorizedException('Wrong username or password');
    return user;
  }
}
