import multer from 'multer';

/**
 * multer as every upload door uses it. Browsers and curl send a multipart file name as raw UTF-8 bytes without a
 * charset; busboy reads such names as latin1 unless told otherwise, which stored `Mészáros_ü.csv` as
 * `MÃ©szÃ¡ros_Ã¼.csv`. Names sent as RFC 5987 `filename*=` carry their charset and are read by it either way.
 */
export function portalMulter(options: multer.Options): multer.Multer {
  return multer({ ...options, defParamCharset: 'utf8' });
}
