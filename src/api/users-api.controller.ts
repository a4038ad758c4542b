import { Body, Controller, Get, Header, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { AccountsService } from '../users/accounts.service';
import { SessionUser, User } from '../users/user.entity';
import { ApiMissing, ApiResource } from './api-docs.decorators';
import { ErrorDto } from './dto/common.dto';
import { CreateUserDto, UpdateUserDto, UserDto, UserSearchQueryDto, UserWithPasswordDto } from './dto/user.dto';
import { ApiPageResponse, Page, paged } from './pagination';

export function userView(user: User): UserDto {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    active: user.active,
    mustChangePassword: user.mustChangePassword,
    deactivatedAt: user.deactivatedAt ? user.deactivatedAt.toISOString() : null,
    createdAt: user.createdAt.toISOString(),
  };
}

/** Accounts, for admins: the same rules as /admin/users (AccountsService). */
@ApiResource('users')
@Roles('admin')
@Controller('api/users')
export class UsersApiController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @ApiOperation({ summary: 'Accounts (admins)', description: 'Search by username or display name (`q`), `role`, `active`; sorted by username.' })
  @ApiPageResponse(UserDto)
  async list(@Query() query: UserSearchQueryDto): Promise<Page<UserDto>> {
    const filters = { q: query.q?.trim() || undefined, role: query.role, active: query.active };
    return paged(await this.accounts.search(filters, query), query, userView);
  }

  @Get(':id')
  @ApiOkResponse({ type: UserDto })
  @ApiMissing('user')
  @ApiParam({ name: 'id', format: 'uuid', description: 'the account\'s id' })
  async get(@CurrentUser() actor: SessionUser, @Param('id') id: string): Promise<UserDto> {
    return userView(await this.accounts.get(actor, id));
  }

  @Post()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Create an account (admins)', description: 'The password is generated and returned only here; the user must change it at the first login.' })
  @ApiCreatedResponse({ type: UserWithPasswordDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'the username is taken' })
  async create(@CurrentUser() actor: SessionUser, @Body() body: CreateUserDto): Promise<UserWithPasswordDto> {
    const { user, password } = await this.accounts.create(actor, body);
    return { user: userView(user), password };
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change role, activation or display name (admins)',
    description: 'All or nothing. Not your own role or activation (400). Deactivating ends the account\'s sessions and stops its API tokens at once.',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiMissing('user')
  @ApiParam({ name: 'id', format: 'uuid', description: 'the account\'s id' })
  async update(@CurrentUser() actor: SessionUser, @Param('id') id: string, @Body() body: UpdateUserDto): Promise<UserDto> {
    return userView(await this.accounts.update(actor, id, body));
  }

  @Post(':id/reset-password')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Reset a password (admins)', description: 'A generated password, returned only here; the account\'s sessions end and it must be changed at the next login. Not your own (400).' })
  @ApiOkResponse({ type: UserWithPasswordDto })
  @ApiMissing('user')
  @ApiParam({ name: 'id', format: 'uuid', description: 'the account\'s id' })
  async resetPassword(@CurrentUser() actor: SessionUser, @Param('id') id: string): Promise<UserWithPasswordDto> {
    const { user, password } = await this.accounts.resetPassword(actor, id);
    return { user: userView(user), password };
  }
}
