import { csvTextOf, csvUploadInterceptor } from '../common/csv-upload.interceptor';

/** Reads a multipart roster form (the file in `file`, pasted text in `csv`) into memory. */
export const RosterUploadInterceptor = csvUploadInterceptor({
  tooLarge: 'The roster is larger than 2 MiB; split it into several files.',
  oneFile: 'Send one roster file, in the field "file"',
});

/** The roster a request carries: the uploaded file when there is one, else the `csv` text field. */
export const rosterTextOf = csvTextOf;
