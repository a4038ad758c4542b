import { BadRequestException, CallHandler, ExecutionContext, Injectable, NestInterceptor, PayloadTooLargeException } from '@nestjs/common';
import { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { Observable } from 'rxjs';
import { decodeCsvBytes } from '../common/csv-reader';
import { portalMulter } from '../common/multipart';

/** A targets file, uploaded or pasted, in bytes: well above TARGET_IMPORT_MAX_ROWS lines of a wide TOM export. */
export const TARGET_CSV_MAX_BYTES = 2 * 1024 * 1024;

/**
 * Reads a multipart target-import form (the file in the field `file`, pasted text in `csv`, and `visibility`,
 * `classroomId`) into memory: target files are small. Other requests (JSON, url-encoded) pass untouched.
 */
@Injectable()
export class TargetCsvUploadInterceptor implements NestInterceptor {
  private readonly upload: RequestHandler = portalMulter({
    storage: multer.memoryStorage(),
    limits: { fileSize: TARGET_CSV_MAX_BYTES, files: 1, fields: 20, fieldSize: TARGET_CSV_MAX_BYTES },
  }).single('file');

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    if (req.is('multipart/form-data')) {
      await new Promise<void>((resolve, reject) => this.upload(req, res, (error: unknown) => (error ? reject(translate(error)) : resolve())));
    }
    return next.handle();
  }
}

function translate(error: unknown): Error {
  if (error instanceof multer.MulterError) {
    if (error.code === 'LIMIT_FILE_SIZE' || error.code === 'LIMIT_FIELD_VALUE') {
      return new PayloadTooLargeException('The file of targets is larger than 2 MiB; split it into several files.');
    }
    if (error.code === 'LIMIT_UNEXPECTED_FILE' || error.code === 'LIMIT_FILE_COUNT') return new BadRequestException('Send one CSV file of targets, in the field "file"');
    return new BadRequestException(`The upload could not be read (${error.message})`);
  }
  return new BadRequestException('The upload was interrupted or malformed; nothing was imported.');
}

/** The targets file a request carries: the uploaded file when there is one, else the `csv` text field. */
export function targetCsvTextOf(req: Request): string {
  const file = req.file as Express.Multer.File | undefined;
  if (file && file.size > 0) return decodeCsvBytes(file.buffer);
  const csv = (req.body as Record<string, unknown> | undefined)?.csv;
  return typeof csv === 'string' ? csv : '';
}
