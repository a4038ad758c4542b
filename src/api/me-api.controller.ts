import { Controller, Get, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { Request } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { csrfTokenFor } from '../common/csrf';
import { SessionUser } from '../users/user.entity';
import { ApiResource } from './api-docs.decorators';
import { MeDto } from './dto/common.dto';

@ApiResource('me')
@Controller('api/me')
export class MeApiController {
  @Get()
  @ApiOperation({ summary: 'Who is calling', description: 'With session auth, `csrfToken` is the token to send as X-CSRF-Token on POST, PATCH and DELETE.' })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentUser() user: SessionUser, @Req() req: Request): MeDto {
    // A request that got here with a bearer header was logged in by its token (a bad token is refused earlier).
    const viaToken = /^Bearer\s/i.test(req.get('authorization') ?? '');
    return { id: user.id, username: user.username, role: user.role, csrfToken: viaToken ? null : csrfTokenFor(req) };
  }
}
