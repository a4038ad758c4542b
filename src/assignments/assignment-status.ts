/**
 * Where a student stands on an assignment, from their latest run for it and their hand-in. Pure.
 *
 * A hand-in decides (handed in, or late when it came after the due date); before one, the latest run does (running
 * while queued or going, failed when it failed or was cancelled, succeeded); with neither, not started. Past the due
 * date without a hand-in the student is `overdue`, shown beside the status.
 */
export const ASSIGNMENT_STATUSES = ['not started', 'running', 'failed', 'succeeded', 'handed in', 'late'] as const;
export type AssignmentStatus = (typeof ASSIGNMENT_STATUSES)[number];

export function assignmentStatus(
  latestRun: { state: string } | null,
  handIn: { late: boolean } | null,
  dueAt: Date,
  now: Date,
): { status: AssignmentStatus; overdue: boolean } {
  if (handIn) return { status: handIn.late ? 'late' : 'handed in', overdue: false };
  const overdue = now.getTime() > dueAt.getTime();
  if (!latestRun) return { status: 'not started', overdue };
  if (latestRun.state === 'succeeded') return { status: 'succeeded', overdue };
  if (latestRun.state === 'failed' || latestRun.state === 'cancelled') return { status: 'failed', overdue };
  return { status: 'running', overdue };
}

/** A CSS class for a status badge. */
export const statusClass = (status: AssignmentStatus) => `status-${status.replace(' ', '-')}`;

/**
 * An SVG polyline's points for a sparkline of `values` in a `width` × `height` box (magnitudes: brighter is up, so
 * smaller values are drawn higher). Empty for fewer than two finite values.
 */
export function sparklinePoints(values: number[], width = 120, height = 24): string {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length < 2) return '';
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const span = max - min || 1;
  const step = width / (finite.length - 1);
  return finite.map((value, i) => `${(i * step).toFixed(1)},${(((value - min) / span) * (height - 2) + 1).toFixed(1)}`).join(' ');
}
