import type { ReactNode } from 'react';

/** A bar of done out of total with a line of text under it; `testId` names both (`<testId>`, `<testId>-text`). */
export function ProgressBar({ done, total, label, testId, children }: { done: number; total: number; label: string; testId: string; children: ReactNode }) {
  const fraction = total > 0 ? done / total : 0;
  return (
    <div className="progress" data-testid={testId}>
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} aria-label={label}>
        <div style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <div className="muted small" data-testid={`${testId}-text`}>
        {children}
      </div>
    </div>
  );
}
