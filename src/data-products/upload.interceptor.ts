import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import {
  BadRequestException,
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
  PayloadTooLargeException,
} from '@nestjs/common';
import { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { catchError, finalize, Observable } from 'rxjs';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { portalMulter } from '../common/multipart';
import { formatBytes } from '../common/view-helpers';
import { FileStorageService } from '../storage/file-storage.service';

export const MAX_FILES_PER_UPLOAD = 500;

/**
 * Streams the multipart field `files` to temp files under DATA_DIR/tmp (never into memory), enforcing
 * UPLOAD_MAX_BYTES per file. Temp files the handler did not move into the store are removed afterwards,
 * whether it succeeded or not; multer itself removes them when the upload is cut short.
 */
@Injectable()
export class UploadInterceptor implements NestInterceptor {
  private readonly upload: RequestHandler;
  private readonly limit: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig, storage: FileStorageService) {
    this.limit = config.uploadMaxBytes;
    this.upload = portalMulter({
      storage: multer.diskStorage({
        destination: storage.tmpDir,
        filename: (_req, _file, done) => done(null, `upload-${randomUUID()}`),
      }),
      limits: { fileSize: config.uploadMaxBytes, files: MAX_FILES_PER_UPLOAD, fields: 50, fieldSize: 64 * 1024 },
    }).array('files', MAX_FILES_PER_UPLOAD);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    if (!req.is('multipart/form-data')) throw new BadRequestException('Send the files as multipart/form-data in the field "files"');
    await new Promise<void>((resolve, reject) =>
      this.upload(req, res, (error: unknown) => (error ? reject(this.translate(error)) : resolve())),
    );
    const files = (req.files as Express.Multer.File[] | undefined) ?? [];
    const removeTemps = () => Promise.all(files.map((file) => fs.promises.rm(file.path, { force: true }).catch(() => undefined)));
    return next.handle().pipe(
      // A refused batch: its temp files are gone before the error page is sent, so nothing is left behind even
      // for a moment. (A stored batch's files were moved away already; finalize drops duplicates' temp files.)
      catchError(async (error: unknown) => {
        await removeTemps();
        throw error;
      }),
      finalize(() => void removeTemps()),
    );
  }

  private translate(error: unknown): Error {
    if (error instanceof multer.MulterError) {
      switch (error.code) {
        case 'LIMIT_FILE_SIZE':
          return new PayloadTooLargeException(`A file is larger than the upload limit of ${formatBytes(this.limit)}; nothing was uploaded.`);
        case 'LIMIT_FILE_COUNT':
          return new PayloadTooLargeException(`At most ${MAX_FILES_PER_UPLOAD} files can be uploaded at once.`);
        case 'LIMIT_UNEXPECTED_FILE':
          return new BadRequestException('Files must be sent in the field "files"');
        default:
          return new BadRequestException(`The upload could not be read (${error.message})`);
      }
    }
    return new BadRequestException('The upload was interrupted or malformed; nothing was stored.');
  }
}
