/** The Redis URL the pipeline services publish and subscribe on. */
export const PIPELINE_REDIS_URL = Symbol('PIPELINE_REDIS_URL');
