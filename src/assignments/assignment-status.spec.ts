import { assignmentStatus, sparklinePoints } from './assignment-status';

describe('assignmentStatus', () => {
  const due = new Date('2026-12-10T18:00:00Z');
  const before = new Date('2026-12-09T18:00:00Z');
  const after = new Date('2026-12-11T18:00:00Z');

  it('follows the latest run until a hand-in', () => {
    expect(assignmentStatus(null, null, due, before)).toEqual({ status: 'not started', overdue: false });
    expect(assignmentStatus({ state: 'queued' }, null, due, before)).toEqual({ status: 'running', overdue: false });
    expect(assignmentStatus({ state: 'running' }, null, due, before).status).toBe('running');
    expect(assignmentStatus({ state: 'interrupted' }, null, due, before).status).toBe('running');
    expect(assignmentStatus({ state: 'failed' }, null, due, before).status).toBe('failed');
    expect(assignmentStatus({ state: 'cancelled' }, null, due, before).status).toBe('failed');
    expect(assignmentStatus({ state: 'succeeded' }, null, due, before).status).toBe('succeeded');
  });

  it('a hand-in decides: handed in, or late after the due date; overdue only without one', () => {
    expect(assignmentStatus({ state: 'failed' }, { late: false }, due, after)).toEqual({ status: 'handed in', overdue: false });
    expect(assignmentStatus({ state: 'succeeded' }, { late: true }, due, after)).toEqual({ status: 'late', overdue: false });
    expect(assignmentStatus({ state: 'succeeded' }, null, due, after)).toEqual({ status: 'succeeded', overdue: true });
    expect(assignmentStatus(null, null, due, after)).toEqual({ status: 'not started', overdue: true });
  });
});

describe('sparklinePoints', () => {
  it('scales the values into the box, the smallest (brightest) at the top', () => {
    expect(sparklinePoints([12, 13, 14], 100, 12)).toBe('0.0,1.0 50.0,6.0 100.0,11.0');
    expect(sparklinePoints([5, 5], 10, 4)).toBe('0.0,1.0 10.0,1.0');
  });

  it('draws nothing for fewer than two numbers', () => {
    expect(sparklinePoints([])).toBe('');
    expect(sparklinePoints([1, Number.NaN])).toBe('');
  });
});
