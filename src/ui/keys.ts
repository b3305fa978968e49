// Space pauses and resumes training, as it does a video, except where Space already means
// something: typing in a field, or pressing the focused control.
import type { TrainStatus } from './trainStore';

/** Elements that take Space themselves: text and number fields, selects, buttons, disclosure summaries. */
const OWN_SPACE = new Set(['INPUT', 'TEXTAREA', 'SELECT', 'BUTTON', 'SUMMARY']);

/** Whether a Space pressed with this element focused is the page's to use. */
export function spaceIsFree(target: { tagName: string; isContentEditable?: boolean } | null): boolean {
  return !target || !(OWN_SPACE.has(target.tagName.toUpperCase()) || target.isContentEditable);
}

/** What Space does in this training state: pause a running run, resume one with a checkpoint, or nothing. */
export function spaceAction(status: TrainStatus, canResume: boolean): 'pause' | 'resume' | null {
  if (status === 'training') return 'pause';
  // Starting: the run is not ours to pause yet. Done: its steps are spent; Resume needs more first.
  if (status === 'starting' || status === 'done') return null;
  return canResume ? 'resume' : null;
}
