// Two projects: unit specs beside the code, end-to-end specs in test/ (real Postgres + Redis, or the embedded pair).
// Type checking is `npm run lint`'s job; tests transpile each file on its own (tsconfig.jest.json), which is fast.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.jest.json' }];
module.exports = {
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
  ],
};
