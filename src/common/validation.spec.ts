import { ArgumentMetadata, BadRequestException, NotFoundException } from '@nestjs/common';
import { IsInt, IsOptional, IsString, Min } from 'class-validator';
import { IntegerText, IsRowId, IsWholeNumber, PortalValidationPipe, StrictInput } from './validation';

class FormBody {
  @IsString()
  name: string;
}

@StrictInput()
class ApiBody {
  @IsInt()
  @Min(1)
  count: number;
}

class DerivedApiBody extends ApiBody {}

@StrictInput()
class IdsBody {
  @IsRowId({ each: true })
  ids: number[];

  @IsOptional()
  @IsRowId()
  presetId?: number;
}

@StrictInput()
class PageQuery {
  @IsOptional()
  @IntegerText()
  @IsRowId()
  list?: number;

  @IntegerText()
  @IsWholeNumber(0, 100)
  offset: number = 0;
}

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).getResponse();
  }
  throw new Error('expected a 400');
}

describe('PortalValidationPipe', () => {
  const pipe = new PortalValidationPipe();

  it('drops unknown fields of page forms (they carry _csrf)', async () => {
    expect(await pipe.transform({ name: 'x', _csrf: 't' }, body(FormBody))).toEqual(Object.assign(new FormBody(), { name: 'x' }));
  });

  it('refuses unknown fields of @StrictInput DTOs, and of their subclasses', async () => {
    expect(await refusal(pipe.transform({ count: 2, extra: 1 }, body(ApiBody)))).toEqual({
      message: 'Validation failed',
      errors: { extra: ['property extra should not exist'] },
    });
    expect(await refusal(pipe.transform({ count: 2, extra: 1 }, body(DerivedApiBody)))).toMatchObject({ errors: { extra: expect.any(Array) } });
  });

  it('names each invalid field with its messages', async () => {
    expect(await refusal(pipe.transform({ count: 0 }, body(ApiBody)))).toEqual({ message: 'Validation failed', errors: { count: ['count must not be less than 1'] } });
    expect(await refusal(pipe.transform({}, body(FormBody)))).toEqual({ message: 'Validation failed', errors: { name: ['name must be a string'] } });
  });

  it('reads ids in JSON bodies and query strings by the one rule (1 to 2^31 - 1, plain digits)', async () => {
    expect(await refusal(pipe.transform({ ids: [1, 1e308], presetId: 2147483648 }, body(IdsBody)))).toEqual({
      message: 'Validation failed',
      errors: { ids: ['each value in ids must be an id (a whole number from 1 to 2147483647)'], presetId: ['presetId must be an id (a whole number from 1 to 2147483647)'] },
    });
    const query = (value: object) => pipe.transform(value, { type: 'query', metatype: PageQuery });
    expect(await query({ list: '12', offset: '3' })).toEqual(Object.assign(new PageQuery(), { list: 12, offset: 3 }));
    for (const bad of [{ list: '1e3' }, { list: '0x10' }, { offset: '1e308' }, { offset: '101' }, { list: '2147483648' }]) await refusal(query(bad));
  });

  it('refuses what no handler may see: repeated or control-character query values, NUL in bodies, repeated form fields', async () => {
    await expect(pipe.transform({ q: ['a', 'b'] }, { type: 'query', metatype: Object })).rejects.toThrow('The query parameter "q" is given 2 times; give it once');
    await expect(pipe.transform(['a', 'b'], { type: 'query', data: 'q', metatype: String })).rejects.toThrow(BadRequestException);
    await expect(pipe.transform('a\u0000', { type: 'query', data: 'view', metatype: Object })).rejects.toThrow('holds a control character');
    await expect(pipe.transform('a\u0000', { type: 'param', data: 'key', metatype: String })).rejects.toThrow(NotFoundException);
    await expect(pipe.transform({ count: 'x\u0000' }, body(ApiBody))).rejects.toThrow('The field "count" holds a NUL character');
    await expect(pipe.transform({ name: ['a', 'b'] }, body(Object))).rejects.toThrow('The field "name" is given 2 times; give it once');
    await expect(pipe.transform(['a', 'b'], { type: 'body', data: 'name', metatype: String })).rejects.toThrow('The field "name" is given 2 times');
    await expect(pipe.transform({ name: { a: '1' } }, body(Object))).rejects.toThrow('The field "name" must be a single value');
    // Checkbox lists repeat; a DTO says for itself what is an array.
    expect(await pipe.transform({ productIds: ['1', '2'], name: 'g' }, body(Object))).toEqual({ productIds: ['1', '2'], name: 'g' });
    expect(await pipe.transform({ ids: [1, 2] }, body(IdsBody))).toEqual(Object.assign(new IdsBody(), { ids: [1, 2] }));
  });

  it('leaves path and query values as text for the parsing layer (`1.0` is not id 1)', async () => {
    expect(await pipe.transform('1.0', { type: 'param', data: 'id', metatype: Number })).toBe('1.0');
    expect(await pipe.transform('0x1', { type: 'query', data: 'list', metatype: Number })).toBe('0x1');
  });
});
