import * as path from 'path';
import { ByteSource, CorruptStreamError, InflationLimitError, openByteSource } from './byte-source';
import { BLOCK_SIZE, CARD_SIZE, DEFAULT_MAX_HDUS, MAX_HEADER_BLOCKS, paddingFor } from './constants';
import { FitsError, FitsTooLargeError, formatCount } from './fits-error';
import { isEndCard, parseHeaderBlock } from './header';
import { describeHdu, HduStructure, HeaderStructureError } from './hdu-structure';
import { FitsCard, FitsHduHeader, ReadFitsHeadersOptions } from './types';

/**
 * Reads the header of every HDU of a FITS file (plain, or gzip-compressed: detected by its magic bytes),
 * skipping the data. Plain files are read with positioned reads of the header blocks only; gzip files are
 * decompressed as a stream and the data is skipped by counting bytes, so memory use stays small either way.
 *
 * Throws FitsError for content problems (not FITS, truncated, inconsistent or absurd header); I/O errors
 * (missing file...) propagate as they are. Reading stops after `maxHdus` HDUs (default 1000); for plain files
 * the data of the last HDU read is still checked against the file size, gzip files are not read further.
 * Bytes after the last HDU that do not start an extension (XTENSION) are ignored. A gzip file is inflated up to
 * `maxInflatedBytes` (default 2 GiB) only: data that would take it further is refused from its header, with a
 * FitsTooLargeError, before it is inflated.
 */
export async function readFitsHeaders(filePath: string, options: ReadFitsHeadersOptions = {}): Promise<FitsHduHeader[]> {
  const maxHdus = options.maxHdus ?? DEFAULT_MAX_HDUS;
  if (!Number.isInteger(maxHdus) || maxHdus < 1) {
    throw new RangeError(`maxHdus must be a positive integer, got ${maxHdus}`);
  }
  const source = await openByteSource(filePath, { maxInflatedBytes: options.maxInflatedBytes });
  try {
    const hdus: FitsHduHeader[] = [];
    for await (const hdu of walkHdus(source, options.fileName ?? path.basename(filePath), maxHdus)) hdus.push(hdu);
    return hdus;
  } finally {
    await source.close();
  }
}

/**
 * Yields the HDUs of an open source one by one. While the generator is suspended after a yield, the source
 * is positioned right after that HDU's header, i.e. at its data: a later data reader can hook in here and
 * read forward (not beyond dataOffset + dataSize); on resuming, the walker skips to the next header.
 * `beforeData` sees each HDU before its data is checked against the file's size: a reader's budget check on the
 * header comes first, so that a huge image is refused as too large even when its file is also cut short.
 */
export async function* walkHdus(
  source: ByteSource,
  fileName: string,
  maxHdus: number,
  beforeData?: (hdu: FitsHduHeader) => void,
): AsyncGenerator<FitsHduHeader> {
  for (let index = 0; index < maxHdus; index++) {
    const fail = (reason: string): never => {
      throw new FitsError(reason, fileName, index);
    };

    const headerOffset = source.position;
    const header = await readHeaderBlocks(source, fileName, index);
    if (!header) return;

    const { cards } = parseHeaderBlock(header);
    const structure = structureOf(cards, index, fileName);
    const dataOffset = headerOffset + Math.ceil(header.length / BLOCK_SIZE) * BLOCK_SIZE;
    const { dataSize } = structure;
    const hdu: FitsHduHeader = { index, type: structure.type, cards, headerOffset, dataOffset, dataSize, bitpix: structure.bitpix, naxis: structure.naxis };
    beforeData?.(hdu);

    if (source.size !== undefined && dataSize > 0 && dataOffset + dataSize > source.size) {
      const available = Math.max(0, source.size - dataOffset);
      fail(`data runs past end of file: header says ${dataSize} bytes, file has ${available} (data starts at byte ${dataOffset} of ${source.size})`);
    }

    yield hdu;

    if (index === maxHdus - 1) return; // nothing more is needed from the stream

    // Skip to absolute positions, so that a consumer may have read some of the data meanwhile. The padding of
    // a header ending in an incomplete block (file cut right after END) may be missing: fine without data.
    const dataEnd = dataOffset + dataSize;
    const limit = source.inflationLimit;
    if (limit !== undefined && dataEnd > limit) {
      throw new FitsTooLargeError(
        `the data of this HDU ends ${formatCount(dataEnd)} bytes into the decompressed file, beyond the limit of ${formatCount(limit)} bytes`,
        dataEnd,
        limit,
        'bytes',
        fileName,
        index,
      );
    }
    await guarded(() => source.skip(Math.max(0, dataEnd - source.position)), fileName, index);
    if (dataSize > 0 && source.position < dataEnd) {
      const available = Math.max(0, source.position - dataOffset);
      fail(`data runs past end of file: header says ${dataSize} bytes, file has ${available} (data starts at byte ${dataOffset})`);
    }
    // Missing padding after the last HDU is tolerated: the next header read then simply finds the end.
    const nextHeader = dataEnd + paddingFor(dataSize);
    await guarded(() => source.skip(Math.max(0, nextHeader - source.position)), fileName, index);
  }
}

/** Type, BITPIX, NAXISn and data size from the mandatory keywords, with file and HDU in any error. */
function structureOf(cards: FitsCard[], index: number, fileName: string): HduStructure {
  try {
    return describeHdu(cards, index === 0);
  } catch (error) {
    if (error instanceof HeaderStructureError) throw new FitsError(error.message, fileName, index);
    throw error;
  }
}

/**
 * Reads the blocks of one header up to and including the block holding END. Returns null when the file ends
 * (or only non-FITS trailing bytes follow) where an extension could start; throws for a header cut short.
 */
async function readHeaderBlocks(source: ByteSource, fileName: string, index: number): Promise<Buffer | null> {
  const blocks: Buffer[] = [];
  let length = 0;
  for (;;) {
    if (blocks.length >= MAX_HEADER_BLOCKS) {
      throw new FitsError(`no END card in the first ${MAX_HEADER_BLOCKS} header blocks (${MAX_HEADER_BLOCKS * BLOCK_SIZE} bytes)`, fileName, index);
    }
    const block = await guarded(() => source.read(BLOCK_SIZE), fileName, index);

    if (blocks.length === 0) {
      if (index === 0 && !(startsWith(block, 'SIMPLE  ') && parseHeaderBlock(block.subarray(0, CARD_SIZE)).cards[0]?.value === true)) {
        throw new FitsError('not a FITS file (the first card is not SIMPLE = T)', fileName);
      }
      if (index > 0 && !startsWith(block, 'XTENSION')) return null;
    }

    blocks.push(block);
    length += block.length;
    if (hasEndCard(block)) return blocks.length === 1 ? block : Buffer.concat(blocks, length);
    if (block.length < BLOCK_SIZE) {
      throw new FitsError(
        `truncated header: the file ends ${length} bytes into the header (at byte ${source.position}) before the END card`,
        fileName,
        index,
      );
    }
  }
}

function hasEndCard(block: Buffer): boolean {
  for (let offset = 0; offset + CARD_SIZE <= block.length; offset += CARD_SIZE) {
    if (isEndCard(block, offset)) return true;
  }
  return false;
}

function startsWith(block: Buffer, text: string): boolean {
  return block.length >= text.length && block.toString('latin1', 0, text.length) === text;
}

/** Runs a source operation, turning a corrupt or runaway gzip stream into a FitsError with file and HDU. */
export async function guarded<T>(operation: () => Promise<T>, fileName: string, index: number): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw streamError(error, fileName, index);
  }
}

/** The FitsError a byte source's own error stands for; other errors (I/O) unchanged. */
export function streamError(error: unknown, fileName: string, index: number): unknown {
  if (error instanceof CorruptStreamError) return new FitsError(error.message, fileName, index);
  if (error instanceof InflationLimitError) {
    const reason = `the gzip data decompresses to more than ${formatCount(error.limit)} bytes`;
    return new FitsTooLargeError(reason, error.inflated, error.limit, 'bytes', fileName, index);
  }
  return error;
}
