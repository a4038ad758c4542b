import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
} from '@nestjs/swagger';
import { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { shareChoiceOf } from '../data-products/dto/share-input';
import { DataProductsService } from '../data-products/data-products.service';
import { UploadInterceptor } from '../data-products/upload.interceptor';
import { ALL_PRODUCT_MEDIA_TYPES, productMediaType } from '../storage/media-types';
import { TargetsService } from '../targets/targets.service';
import { SessionUser } from '../users/user.entity';
import { ApiMissing, ApiResource } from './api-docs.decorators';
import { productView } from './api-presenters';
import { ErrorDto } from './dto/common.dto';
import { DataProductDto, ProductListQueryDto, ShareProductDto, UploadFieldsDto, UploadResultDto } from './dto/data-product.dto';
import { ApiPageResponse, Page, paged } from './pagination';
import { ParseRowIdPipe } from '../common/request-parsing';

@ApiResource('data products')
@Controller('api')
export class DataProductsApiController {
  constructor(
    private readonly products: DataProductsService,
    private readonly targets: TargetsService,
  ) {}

  @Get('targets/:id/data-products')
  @ApiOperation({ summary: 'A target\'s data products that you may see, newest first', description: 'Each product has its own sharing; `scope` and `productType` narrow the list as the target page\'s filters do.' })
  @ApiPageResponse(DataProductDto)
  @ApiMissing('target')
  async list(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) targetId: number, @Query() query: ProductListQueryDto): Promise<Page<DataProductDto>> {
    const target = await this.targets.findVisible(targetId, user);
    const filter = { scope: query.scope ?? 'everyone', productType: query.productType ?? null };
    return paged(await this.products.pageForTarget(target, user, filter, query), query, productView);
  }

  /** The page's upload: streamed to temp files, then all files stored or none (see DataProductsService.ingest). */
  @Post('targets/:id/data-products')
  @UseInterceptors(UploadInterceptor)
  @ApiOperation({
    summary: 'Upload files to a target (multipart/form-data)',
    description:
      'All or nothing: an empty file, a FITS image that is not FITS or a photometry file with a bad row refuses the batch (400 with `details`). Identical files are not stored twice. You own what you upload; `visibility` (and `classroomId`) say who else may see it.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadFieldsDto })
  @ApiCreatedResponse({ type: UploadResultDto })
  @ApiPayloadTooLargeResponse({ type: ErrorDto, description: 'a file over UPLOAD_MAX_BYTES' })
  @ApiMissing('target')
  async upload(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) targetId: number,
    @Body() fields: UploadFieldsDto,
    @Req() req: Request,
  ): Promise<UploadResultDto> {
    const target = await this.targets.findVisible(targetId, user);
    const files = ((req.files as Express.Multer.File[] | undefined) ?? []).map((file) => ({ path: file.path, originalName: file.originalname, size: file.size }));
    const result = await this.products.ingest(target, files, fields.productType, user, shareChoiceOf(fields.visibility, fields.classroomId, true));
    return {
      created: result.created.map((p) => ({ id: p.id, name: p.originalName, sha256: p.sha256, size: p.size })),
      duplicates: result.duplicates.map((p) => ({ id: p.id, name: p.originalName, sha256: p.sha256, size: p.size })),
      pointsAdded: result.pointsAdded,
      pointsSkipped: result.pointsSkipped,
    };
  }

  @Get('data-products/:id')
  @ApiOkResponse({ type: DataProductDto })
  @ApiMissing('data product')
  async get(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<DataProductDto> {
    return productView(await this.products.findVisible(id, user));
  }

  @Get('data-products/:id/download')
  @ApiOperation({
    summary: 'The file, under its original name; X-Content-SHA256 carries its hash',
    description: 'The Content-Type is the file\'s own, by its suffix: FITS (also tile-compressed) image/fits, gzip application/gzip, CSV text/csv, PNG image/png…; anything else application/octet-stream.',
  })
  // Each type on the success only (ApiProduces would claim them for the JSON errors too).
  @ApiOkResponse({
    description: 'the file',
    content: Object.fromEntries(ALL_PRODUCT_MEDIA_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
    headers: { 'X-Content-SHA256': { description: 'the file\'s SHA-256, hex', schema: { type: 'string', pattern: '^[0-9a-f]{64}$' } } },
  })
  @ApiMissing('data product')
  async download(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response): Promise<void> {
    const product = await this.products.findVisible(id, user);
    res.download(this.products.absolutePath(product), product.originalName, {
      headers: { 'Content-Type': productMediaType(product.storedPath), 'X-Content-SHA256': product.sha256 },
      dotfiles: 'allow',
    });
  }

  @Patch('data-products/:id')
  @ApiOperation({
    summary: 'Share a data product: private, with a class, or public',
    description: 'The uploader, their teachers or an admin. A class must be one you are in (400 otherwise). Light-curve points read from the file share as the file does.',
  })
  @ApiOkResponse({ type: DataProductDto })
  @ApiMissing('data product')
  async share(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body() body: ShareProductDto): Promise<DataProductDto> {
    const product = await this.products.findVisible(id, user);
    return productView(await this.products.setSharing(product, user, shareChoiceOf(body.visibility, body.classroomId)));
  }

  @Delete('data-products/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a data product, its file and the reduced data read from it', description: 'The uploader, their teachers or an admin.' })
  @ApiNoContentResponse()
  @ApiMissing('data product')
  async remove(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number): Promise<void> {
    await this.products.remove(await this.products.findVisible(id, user), user);
  }
}
