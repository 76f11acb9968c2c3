/*
 * What the text layer needs from a mark: its options and its disclosure
 * sentence. Kept apart from mark.h so that text code does not depend on the
 * pixel layer.
 */
#ifndef WM_MARK_DISCLOSURE_H
#define WM_MARK_DISCLOSURE_H

#include "../util/util.h"

/* The options of a mark (read-only for the media and text layers). */
const wm__options *wm__mark_options(const wm_mark *m);

/* The disclosure sentence: option "disclosure", else "text". */
const char *wm__mark_disclosure(const wm_mark *m);

#endif /* WM_MARK_DISCLOSURE_H */
