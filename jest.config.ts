import type { Config } from 'jest';

/**
 * One jest run covers every workspace. Unit tests live beside the code (`src/**\/*.test.ts`);
 * integration tests that start real PostgreSQL, redis-server, litecoind, Hardhat or Chromium live in
 * each workspace's `test/` folder. Workspace imports resolve to TypeScript sources, so no build is needed
 * to run a single test file.
 */
const config: Config = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/*/src/**/*.test.ts', '<rootDir>/*/test/**/*.test.ts', '<rootDir>/chaos/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleNameMapper: {
    '^@coinstile/([^/]+)$': '<rootDir>/$1/src',
    '^@coinstile/([^/]+)/(.*)$': '<rootDir>/$1/src/$2',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json', diagnostics: false }],
  },
  maxWorkers: 2,
  testTimeout: 60_000,
};

export default config;
