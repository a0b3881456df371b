"""Protocol-level limits, each with the reason for its default.

The server may announce tighter values in ``welcome.limits``; these are the
hard ceilings the codec enforces before anything else looks at a frame.
"""

from __future__ import annotations

# A client frame at most 64 KiB: the largest legitimate one is a message of
# 4,000 characters (~16 KB in UTF-8 at worst) or a page of triage answers.
# Photos go over HTTP, never in frames.
MAX_FRAME_BYTES = 64 * 1024
# Frames from the server may be larger (a page of history, a case list), but
# the server cuts pages and lists to PAGE_BUDGET_BYTES, and clients refuse
# anything above 1 MiB.
MAX_SERVER_FRAME_BYTES = 1024 * 1024
PAGE_BUDGET_BYTES = 60 * 1024
# A chat message: 4,000 characters is ~two pages of text, more than any chat
# turn needs (1177's own contact form caps free text lower).
MAX_TEXT = 4000
# Client-made ids: a UUID is 36 characters; 64 leaves room for prefixes.
MAX_CID = 64
MAX_ID = 64
MAX_NAME = 200
# Request ids are per connection counters; 2**31 avoids JS precision issues.
MAX_REQ_ID = 2**31 - 1
# Message numbers in a room; 2**53-1 is JavaScript's safe integer limit.
MAX_SEQ = 2**53 - 1
MAX_PAGE = 200
MAX_TOKEN = 256
