import { BadRequestException } from '@nestjs/common';
import { PortalValidationPipe } from '../../common/validation';
import { CreateTargetDto, targetFieldsOf, TargetSearchQueryDto, targetSearchOf, UpdateTargetDto } from './target.dto';

const pipe = new PortalValidationPipe();
const errorsOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return ((error as BadRequestException).getResponse() as { errors: Record<string, string[]> }).errors;
  }
  throw new Error('expected a 400');
};

describe('target API DTOs', () => {
  it('turns a JSON body into the form parser\'s fields, sexagesimal included', () => {
    const fields = targetFieldsOf({ name: ' M13 ', aliases: ['NGC 6205'], ra: '16:41:41.64', dec: '+36:27:40.7', extra: { mag: 5.8 } });
    expect(fields).toMatchObject({ name: 'M13', aliases: ['NGC 6205'], type: 'sidereal', epoch: 2000, visibility: 'private', extra: { mag: '5.8' } });
    expect(fields.ra).toBeCloseTo(250.4235, 4);
  });

  it('PATCH keeps what is not sent and reports the parser\'s field errors as lists', () => {
    const base = { name: 'M13', aliases: 'NGC 6205', ra: '250.4235', dec: '36.4613', epoch: '2000', visibility: 'public' };
    expect(targetFieldsOf({ visibility: 'private' }, base)).toMatchObject({ name: 'M13', aliases: ['NGC 6205'], visibility: 'private' });
    expect(() => targetFieldsOf({ ra: null }, base)).toThrow(BadRequestException);
    let refused: unknown;
    try {
      targetFieldsOf({ ra: null, extra: { 'a=b': 'c' } }, base);
    } catch (error) {
      refused = error;
    }
    expect((refused as BadRequestException).getResponse()).toEqual({
      message: 'Validation failed',
      errors: { ra: ['Right ascension is required'], extra: [expect.stringContaining('extra.a=b')] },
    });
  });

  it('validates a body: coordinates by the coordinate parser, unknown properties refused', async () => {
    const metadata = { type: 'body' as const, metatype: CreateTargetDto };
    expect(await errorsOf(pipe.transform({ name: 'X', ra: '25:00:00', dec: 0, mass: 1 }, metadata))).toEqual({
      ra: ['ra: Right ascension hours must be between 0 and 24 (less than 24)'],
      mass: ['property mass should not exist'],
    });
    const update = await pipe.transform({ dec: '-10:30:00' }, { type: 'body', metatype: UpdateTargetDto });
    expect(update).toEqual(expect.objectContaining({ dec: '-10:30:00' }));
  });

  it('reads a cone search from the query, which needs all three values', async () => {
    const metadata = { type: 'query' as const, metatype: TargetSearchQueryDto };
    const query = (await pipe.transform({ ra: '16:41:41.6', dec: '+36:27:41', radius: '0.5', limit: '10' }, metadata)) as TargetSearchQueryDto;
    expect(query.limit).toBe(10);
    expect(query.offset).toBe(0);
    expect(targetSearchOf(query).cone).toEqual({ ra: expect.closeTo(250.4233, 3), dec: expect.closeTo(36.4614, 3), radius: 0.5 });
    expect(Object.keys(await errorsOf(pipe.transform({ radius: '1' }, metadata))).sort()).toEqual(['dec', 'ra']);
    expect(targetSearchOf((await pipe.transform({ q: ' m13 ' }, metadata)) as TargetSearchQueryDto)).toEqual({ text: 'm13', cone: undefined });
  });
});
