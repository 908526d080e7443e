import assert from 'node:assert/strict';
import { healthLine, summarize, type HealthCount } from '../../src/core';

const row = (p: Partial<HealthCount> & Pick<HealthCount, 'health' | 'count'>): HealthCount => ({ groupId: 'g', version: '3.59.127.0', state: 'up-to-date', targetVersion: null, ...p });

describe('core/summary (fleet health for the status bar; seed 000: status per version)', () => {
  it('counts by health, state and version; percentages of the clients seen', () => {
    const s = summarize([
      row({ health: 'up-to-date', count: 90 }),
      row({ health: 'waiting', waitingFor: 'rollout', state: 'waiting', version: '3.58.0.0', count: 4 }),
      row({ health: 'waiting', waitingFor: 'window', state: 'waiting', version: '3.58.0.0', count: 1 }),
      row({ health: 'failed', state: 'failed', version: '3.59.0.0', count: 2 }),
      row({ health: 'failed', state: 'failed', version: '3.58.0.0', count: 1 }),
      row({ health: 'behind', state: 'up-to-date', version: '3.58.0.0', count: 2 }),
      row({ health: 'not-seen', version: '3.58.0.0', count: 20 }),
      row({ health: 'behind', state: 'available', version: '3.59.0.0', count: 0 }),
    ], 7);
    assert.equal(s.total, 120);
    assert.equal(s.seen, 100);
    assert.equal(s.upToDate, 90);
    assert.equal(s.percentUpToDate, 90);
    assert.equal(s.failed, 3);
    assert.equal(s.percentFailed, 3);
    assert.deepEqual(s.byHealth, { 'up-to-date': 90, waiting: 5, behind: 2, failed: 3, 'manual-required': 0, 'not-seen': 20 });
    assert.deepEqual(s.waitingFor, { rollout: 4, window: 1 });
    assert.deepEqual(s.byState, { 'up-to-date': 112, waiting: 5, failed: 3 });
    assert.deepEqual(s.byVersion, { '3.59.127.0': 90, '3.58.0.0': 28, '3.59.0.0': 2 });
    assert.equal(s.notSeenDays, 7);
    assert.equal(healthLine(s), '90% up to date · 3 failed');
  });
  it('an empty fleet (or one nobody has seen) is 100% up to date with nothing failed', () => {
    assert.equal(healthLine(summarize([])), '100% up to date');
    assert.equal(summarize([row({ health: 'not-seen', count: 3 })]).percentUpToDate, 100);
  });
  it('rounds to one decimal', () => {
    const s = summarize([row({ health: 'up-to-date', count: 2 }), row({ health: 'behind', count: 1 })]);
    assert.equal(s.percentUpToDate, 66.7);
    assert.equal(healthLine(s), '66.7% up to date');
  });
});
