import { csvTextOf, csvUploadInterceptor } from '../common/csv-upload.interceptor';

/** Reads a multipart target-import form (the file in `file`, pasted text in `csv`, `visibility`, `classroomId`) into memory. */
export const TargetCsvUploadInterceptor = csvUploadInterceptor({
  tooLarge: 'The file of targets is larger than 2 MiB; split it into several files.',
  oneFile: 'Send one CSV file of targets, in the field "file"',
});

/** The targets file a request carries: the uploaded file when there is one, else the `csv` text field. */
export const targetCsvTextOf = csvTextOf;
