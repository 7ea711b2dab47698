test('jest runs TypeScript', () => {
  expect(1n + 1n).toBe(2n);
});
