import type { Profile } from './types';

/**
 * Whether any of the profile waits for a content check: show "under review" (审核中) to its
 * owner, with the pending nickname or the local image, until a later `profile()` says not.
 */
export function underReview(profile: Profile): boolean {
  const pending = profile.pending;
  return !!pending && (pending.nickname !== null || pending.avatar);
}
