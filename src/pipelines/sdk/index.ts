/**
 * The SDK's first import path (`<portal>/dist/src/pipelines/sdk`), kept so pipelines written against it still load:
 * the SDK itself, plus the command runner, the config loader and the teaching pipelines it used to export.
 * New pipelines import `<portal>/dist/src/pipeline-sdk`.
 */
export * from '../../pipeline-sdk';
export * from '../../pipeline-registry/command-pipeline';
export * from '../../pipeline-registry/pipeline-config.loader';
export * from '../../teaching-pipelines';
