// Space pauses and resumes training, but never while typing or on a control that takes Space itself.
import { describe, expect, it } from 'vitest';
import { spaceAction, spaceIsFree } from '../../src/ui/keys';

describe('Space', () => {
  it('is the page\'s on the page itself, not in fields or on controls', () => {
    expect(spaceIsFree(null)).toBe(true);
    expect(spaceIsFree({ tagName: 'BODY' })).toBe(true);
    expect(spaceIsFree({ tagName: 'canvas' })).toBe(true);
    for (const tagName of ['INPUT', 'TEXTAREA', 'SELECT', 'BUTTON', 'SUMMARY', 'input']) expect(spaceIsFree({ tagName })).toBe(false);
    expect(spaceIsFree({ tagName: 'DIV', isContentEditable: true })).toBe(false);
  });

  it('pauses a running run and resumes one that has a checkpoint', () => {
    expect(spaceAction('training', false)).toBe('pause');
    expect(spaceAction('paused', true)).toBe('resume');
    expect(spaceAction('error', true)).toBe('resume');
    // After a reload: a stored run resumes.
    expect(spaceAction('idle', true)).toBe('resume');
    expect(spaceAction('paused', false)).toBe(null);
    expect(spaceAction('starting', true)).toBe(null);
    expect(spaceAction('done', true)).toBe(null);
  });
});
