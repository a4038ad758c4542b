import { Injectable } from '@nestjs/common';
import { PassportSerializer } from '@nestjs/passport';
import { SessionUser } from '../users/user.entity';
import { UsersService } from '../users/users.service';

/** Keeps only the user id in the session and reloads the user each request, so role changes apply at once. */
@Injectable()
export class SessionSerializer extends PassportSerializer {
  constructor(private readonly users: UsersService) {
    super();
  }

  serializeUser(user: SessionUser, done: (err: Error | null, id?: string) => void): void {
    done(null, user.id);
  }

  deserializeUser(id: string, done: (err: Error | null, user?: SessionUser | false) => void): void {
    this.users.findSessionUser(id).then(
      (user) => done(null, user ?? false),
      (error) => done(error),
    );
  }
}
