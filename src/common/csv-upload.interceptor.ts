import { BadRequestException, CallHandler, ExecutionContext, Injectable, mixin, NestInterceptor, PayloadTooLargeException, Type } from '@nestjs/common';
import { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { Observable } from 'rxjs';
import { decodeCsvBytes } from './csv-reader';
import { portalMulter } from './multipart';

/** An uploaded or pasted CSV (a roster, a list of targets), in bytes: far above what their row limits allow. */
export const CSV_UPLOAD_MAX_BYTES = 2 * 1024 * 1024;

/**
 * An interceptor that reads a multipart CSV form (the file in the field `file`, pasted text in `csv`, and the
 * form's other fields) into memory: such files are small. Other requests (JSON, url-encoded) pass untouched.
 * `words` name the file in refusals: "The roster is larger than 2 MiB…", "Send one roster file…".
 */
export function csvUploadInterceptor(words: { tooLarge: string; oneFile: string }): Type<NestInterceptor> {
  @Injectable()
  class CsvUploadInterceptor implements NestInterceptor {
    private readonly upload: RequestHandler = portalMulter({
      storage: multer.memoryStorage(),
      limits: { fileSize: CSV_UPLOAD_MAX_BYTES, files: 1, fields: 20, fieldSize: CSV_UPLOAD_MAX_BYTES },
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
      if (error.code === 'LIMIT_FILE_SIZE' || error.code === 'LIMIT_FIELD_VALUE') return new PayloadTooLargeException(words.tooLarge);
      if (error.code === 'LIMIT_UNEXPECTED_FILE' || error.code === 'LIMIT_FILE_COUNT') return new BadRequestException(words.oneFile);
      return new BadRequestException(`The upload could not be read (${error.message})`);
    }
    return new BadRequestException('The upload was interrupted or malformed; nothing was imported.');
  }

  return mixin(CsvUploadInterceptor);
}

/** The CSV a request carries: the uploaded file when there is one, else the `csv` text field. */
export function csvTextOf(req: Request): string {
  const file = req.file as Express.Multer.File | undefined;
  if (file && file.size > 0) return decodeCsvBytes(file.buffer);
  const csv = (req.body as Record<string, unknown> | undefined)?.csv;
  return typeof csv === 'string' ? csv : '';
}
