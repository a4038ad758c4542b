import { BadRequestException, CallHandler, ExecutionContext, Injectable, NestInterceptor, PayloadTooLargeException } from '@nestjs/common';
import { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { Observable } from 'rxjs';
import { portalMulter } from '../common/multipart';
import { decodeRosterBytes } from './roster-csv.reader';

/** A roster file or pasted text, in bytes: far above ROSTER_MAX_ROWS lines of names. */
export const ROSTER_MAX_BYTES = 2 * 1024 * 1024;

/**
 * Reads a multipart roster form (the file in the field `file`, pasted text in `csv`) into memory: rosters are small.
 * Other requests (JSON, url-encoded) pass untouched.
 */
@Injectable()
export class RosterUploadInterceptor implements NestInterceptor {
  private readonly upload: RequestHandler = portalMulter({
    storage: multer.memoryStorage(),
    limits: { fileSize: ROSTER_MAX_BYTES, files: 1, fields: 20, fieldSize: ROSTER_MAX_BYTES },
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
      return new PayloadTooLargeException('The roster is larger than 2 MiB; split it into several files.');
    }
    if (error.code === 'LIMIT_UNEXPECTED_FILE' || error.code === 'LIMIT_FILE_COUNT') return new BadRequestException('Send one roster file, in the field "file"');
    return new BadRequestException(`The upload could not be read (${error.message})`);
  }
  return new BadRequestException('The upload was interrupted or malformed; nothing was imported.');
}

/** The roster a request carries: the uploaded file when there is one, else the `csv` text field. */
export function rosterTextOf(req: Request): string {
  const file = req.file as Express.Multer.File | undefined;
  if (file && file.size > 0) return decodeRosterBytes(file.buffer);
  const csv = (req.body as Record<string, unknown> | undefined)?.csv;
  return typeof csv === 'string' ? csv : '';
}
