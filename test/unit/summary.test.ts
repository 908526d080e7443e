import assert from 'node:assert/strict';
import { healthLine, summarize } from '../../src/core';

describe('core/summary (fleet health for the status bar; seed 000: status per version)', () => {
  it('counts by state and version, percent up to date, failures', () => {
    const s = summarize([
      { state: 'up-to-date', version: '3.59.127.0', count: 97 },
      { state: 'failed', version: '3.59.0.0', count: 2 },
      { state: 'failed', version: '3.58.0.0', count: 1 },
      { state: 'available', version: '3.59.0.0', count: 0 },
    ]);
    assert.equal(s.total, 100);
    assert.equal(s.upToDate, 97);
    assert.equal(s.percentUpToDate, 97);
    assert.equal(s.failed, 3);
    assert.deepEqual(s.byVersion, { '3.59.127.0': 97, '3.59.0.0': 2, '3.58.0.0': 1 });
    assert.equal(healthLine(s), '97% up to date · 3 failed');
  });
  it('an empty fleet is 100% up to date with nothing failed', () => {
    const s = summarize([]);
    assert.equal(s.percentUpToDate, 100);
    assert.equal(healthLine(s), '100% up to date');
  });
  it('rounds to one decimal', () => {
    const s = summarize([{ state: 'up-to-date', version: '1', count: 2 }, { state: 'available', version: '0', count: 1 }]);
    assert.equal(s.percentUpToDate, 66.7);
    assert.equal(healthLine(s), '66.7% up to date');
  });
});
