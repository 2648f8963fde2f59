"""Sessions: opaque tokens, kept in the database (the truth) and cached in Redis (the hot path).

``tokens`` makes tokens and their digests, ``store`` issues and authenticates sessions,
``revocation`` revokes them, ``entries`` reads and writes their cache entries, ``codec`` is
the byte layout of those entries, ``server_identity`` tells Redis restarts apart, and
``batches`` walks tables of any size for bulk revocation and purging.
"""
